from django.db import migrations

# Every statement that inserts events also queues `NOTIFY billing_events, '<max
# cursor>'`. PostgreSQL delivers it at commit, and only then (never for a rolled
# back transaction), so a listener woken by it finds the rows committed; the gRPC
# event streams listen for it (billing.event_wakeups). A statement trigger runs once
# per INSERT however many rows it writes (`billing.outbox` writes a transaction's
# events in one INSERT). SQLite has no NOTIFY: its streams poll.
CREATE_EVENT_NOTIFY_TRIGGER = """
CREATE FUNCTION billing_event_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('billing_events', (SELECT max(cursor)::text FROM inserted));
    RETURN NULL;
END $$;
CREATE TRIGGER billing_event_notify AFTER INSERT ON billing_billingevent
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION billing_event_notify();
"""
DROP_EVENT_NOTIFY_TRIGGER = """
DROP TRIGGER IF EXISTS billing_event_notify ON billing_billingevent;
DROP FUNCTION IF EXISTS billing_event_notify();
"""


def create_event_notify_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_EVENT_NOTIFY_TRIGGER)


def drop_event_notify_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_EVENT_NOTIFY_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_client_requests"),
    ]

    operations = [
        migrations.RunPython(create_event_notify_trigger, drop_event_notify_trigger),
    ]
