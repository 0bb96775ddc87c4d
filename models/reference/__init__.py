"""Reference data: the department catalogue and the category tree (`catalogue.toml`, editable),
loaded into the store and read by the form, validation and routing."""
