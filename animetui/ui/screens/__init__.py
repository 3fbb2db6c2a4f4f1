"""Dialogs (modal screens): new-job forms, help, confirmations. One per module."""
