"""The central server: FastAPI app (`app.create_app`), its database and migrations, auth,
push/pull and Open311. Run it with `hotline server`."""
