"""Sources: turn the company's event records into the monthly metrics table.

``schema`` is the event contract; ``base`` the engine protocol; ``engines`` runs SQL where the data is
(DuckDB over a folder, PostgreSQL in place) and ``spark`` beyond one machine; ``checks`` validates events in
the engine; ``derive`` holds the metric definitions, written once as portable SQL; ``example_events`` is the
seeded synthetic company.
"""
