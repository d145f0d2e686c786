"""Ministry planner console: rollout against the plan, the map, coverage, demand and billing."""
