"""The Microsoft Teams front end (in progress, #13): so far the app package."""
