"""The live board: a Server-Sent Events stream of a shop's changes, served beside the Flask app."""
