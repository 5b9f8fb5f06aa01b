"""gidgethub routers, one module per event family; ``bot.app`` joins them."""
