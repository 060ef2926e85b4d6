"""The contact directory: who to reach for a CO alarm, per household and region.

``tables.py`` (contacts, rota shifts), ``directory.py`` (roles, regions,
storing a person with a sealed phone), ``rota.py`` (who is on duty),
``recipients.py`` (what the escalation reads), ``importer.py`` (CSV and Excel
with a dry run), ``schemas.py`` (response models).
"""

from coalguard.cloud.contacts.recipients import WHO, Recipient, contact_by_id, recipients

__all__ = ["WHO", "Recipient", "contact_by_id", "recipients"]
