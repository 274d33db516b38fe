-- "Drop Tables", first step: drops the tables windmill writes outside the pipeline
-- (workloads.names.OUTSIDE_PIPELINE_TABLES; a test keeps this file equal to that tuple).
-- Run by the windmill-drop-tables job (a SQL file task on the windmill warehouse) with
-- the job parameters :catalog and :schema. SQL cannot drop the pipeline's own
-- materialized views and streaming tables; the job's last task resets them with a full
-- refresh of the pipeline.
DROP TABLE IF EXISTS IDENTIFIER(:catalog || '.' || :schema || '.gold_dispatch_plan');
DROP TABLE IF EXISTS IDENTIFIER(:catalog || '.' || :schema || '.gold_turbine_risk');
DROP TABLE IF EXISTS IDENTIFIER(:catalog || '.' || :schema || '.gold_sla_daily');
DROP TABLE IF EXISTS IDENTIFIER(:catalog || '.' || :schema || '.gold_maintenance_schedule');
