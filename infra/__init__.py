"""CDKTF stacks that provision the windmill system on Databricks, and `windmill deploy`.

`infra.main` synthesizes the stacks (`npx cdktf synth` runs it); `infra.deploy`
builds the wheel, synthesizes, applies with Terraform and finishes the set-up
through the Databricks SDK. CDKTF imports stay inside this package.
"""
