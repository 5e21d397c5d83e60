"""Command-line interface: `caseway run`, `worker`, `seed`, `bench`. An interface app beside
portal, workspace and api. Imports anything below it. Publishes nothing."""
