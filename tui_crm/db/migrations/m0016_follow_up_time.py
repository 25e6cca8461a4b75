"""Migration 16: a follow-up can carry a time of day ("tomorrow 14:00", issue 19).

`interaction.follow_up` stays the day (what the next follow-up, the queue and the agenda
count by); `follow_up_time` is 'HH:MM', or '' for a day alone, as every follow-up so far."""


def up(db) -> None:
    db.execute_sql("ALTER TABLE interaction ADD COLUMN follow_up_time TEXT NOT NULL DEFAULT ''")
