-- "Drop Tables": removes every table windmill creates in its schema.
-- Run by the windmill-drop-tables job (a SQL file task on the windmill warehouse),
-- with the job parameters :catalog and :schema. The pipeline recreates its tables
-- on its next full refresh; the landing volume's files are kept.
DROP TABLE IF EXISTS IDENTIFIER(:catalog || '.' || :schema || '.gold_dispatch_plan');
DROP TABLE IF EXISTS IDENTIFIER(:catalog || '.' || :schema || '.gold_turbine_risk');
DROP MATERIALIZED VIEW IF EXISTS IDENTIFIER(:catalog || '.' || :schema || '.gold_fault_summary');
DROP MATERIALIZED VIEW IF EXISTS IDENTIFIER(:catalog || '.' || :schema || '.gold_fleet_hourly');
DROP MATERIALIZED VIEW IF EXISTS IDENTIFIER(:catalog || '.' || :schema || '.gold_maintenance_alerts');
DROP MATERIALIZED VIEW IF EXISTS IDENTIFIER(:catalog || '.' || :schema || '.gold_turbine_status');
DROP TABLE IF EXISTS IDENTIFIER(:catalog || '.' || :schema || '.silver_quarantine');
DROP TABLE IF EXISTS IDENTIFIER(:catalog || '.' || :schema || '.silver_sensor_data');
DROP TABLE IF EXISTS IDENTIFIER(:catalog || '.' || :schema || '.bronze_sensor_data');
