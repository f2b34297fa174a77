"""GET /me/recommendations and GET /trending: the rows, filtered through the catalog."""
