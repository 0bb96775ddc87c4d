"""The central server: the FastAPI app (`app.create_app`, mounting `routers/`), its settings
(`settings`), dependencies (`deps`), error shape (`errors`), the services that do the work
(`push`, `pull`, `cases`, `conflicts`, `terminals`, `open311`, `reference`), the database and
its migrations (`db`, `tables`, `migrate`), and auth. Run it with `hotline server`."""
