"""Small pieces shared by the domains of core-api."""
