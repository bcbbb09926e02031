project_id            = "tradeloop-prod"
cloudflare_account_id = "0123456789abcdef0123456789abcdef"
public_url            = "https://app.tradeloop.dev"
