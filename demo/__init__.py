"""The demo world of `make run` and the tour that walks through it (`make demo-tour`). The top layer of the import
contract: it builds the world through every app's services, so it may call them all; nothing imports it."""
