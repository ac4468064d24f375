# This app's models arrive with its own issue (see DESIGN.md).
