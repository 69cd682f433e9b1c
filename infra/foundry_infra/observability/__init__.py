"""Operations as code (spec §10, §14): logs and traces, dashboards, alarms and cost guards."""
