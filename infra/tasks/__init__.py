"""Small scripts the Databricks jobs run as workspace files (no wheel needed)."""
