"""Security add-ons the app factory and FAB's security manager (app.views.org) plug in."""
