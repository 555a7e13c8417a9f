"""Cards: their routes and schemas beside the use cases that create, read, move, edit and delete them."""
