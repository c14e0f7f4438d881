"""The recognition dashboard's core (issue 23): its periods (``periods``) and its figures
(``figures``), computed in SQL by the store (bot.store.dashboard). The web pages, sign-in
and charts live in handlers/dashboard and only draw what ``figures`` returns."""
