project_id            = "tradeloop-staging"
cloudflare_account_id = "0123456789abcdef0123456789abcdef"
public_url            = "https://staging.tradeloop.dev"
