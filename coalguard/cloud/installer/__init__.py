"""The installer's phone page (issue 16): find the household, bind the alarm, run the
commissioning test, keep the record.

``records.py`` the commissioning record as the installer and the household read it
(names and phones masked). The test itself is the CO registry's
(``cloud/co/registry.py``: the cloud waits for the alarm's test event and a fresh
state); the pages are ``api/routes/installer_pages.py``.
"""
