"""The API's endpoints, one router per area: auth, cases (reads and customer writes),
case actions (agent writes) and queues."""
