"""The CDK the stacks are written with: CDKTF (the default) or CDK Terrain.

CDKTF is archived upstream and its prebuilt Databricks bindings stop at provider 1.99;
its maintained fork CDK Terrain (`cdktn`, `cdktn-provider-databricks` 18.x) takes the
same code with renamed packages. `WINDMILL_CDK=cdktn` (after
`pip install -c constraints.txt -e '.[cdktn]'`) makes every stack use it. Every infra
module imports its CDK classes from here, so the choice is made once. The classes and
constructor arguments below exist, with the same names, in both bindings (compared for
cdktf-cdktf-provider-databricks 15.16.1 and cdktn-provider-databricks 18.11.0).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from types import ModuleType

from workloads.errors import WindmillError

CDK_ENV = "WINDMILL_CDK"
DEFAULT = "cdktf"
# flavour -> (core package, Databricks provider package, pip extra that installs them)
FLAVOURS: dict[str, tuple[str, str, str]] = {
    "cdktf": ("cdktf", "cdktf_cdktf_provider_databricks", "deploy"),
    "cdktn": ("cdktn", "cdktn_provider_databricks", "cdktn"),
}


def selected_flavour(environ: Mapping[str, str] | None = None) -> str:
    """The CDK named by WINDMILL_CDK (cdktf when unset)."""
    environ = os.environ if environ is None else environ
    chosen = (environ.get(CDK_ENV) or DEFAULT).strip().lower()
    if chosen not in FLAVOURS:
        raise WindmillError(
            f"{CDK_ENV}={chosen!r} is not a CDK; use one of: {', '.join(FLAVOURS)}."
        )
    return chosen


FLAVOUR = selected_flavour()
_CORE, _PROVIDER, _EXTRA = FLAVOURS[FLAVOUR]


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise WindmillError(
            f"{CDK_ENV}={FLAVOUR} needs the {exc.name} package; install it with "
            f"`pip install -c constraints.txt -e '.[{_EXTRA}]'` and retry."
        ) from exc


def _provider(module: str) -> ModuleType:
    return _import(f"{_PROVIDER}.{module}")


core = _import(_CORE)
App = core.App
Fn = core.Fn
TerraformOutput = core.TerraformOutput
TerraformStack = core.TerraformStack
Testing = core.Testing

_alert = _provider("alert_v2")
AlertV2 = _alert.AlertV2
AlertV2Evaluation = _alert.AlertV2Evaluation
AlertV2EvaluationNotification = _alert.AlertV2EvaluationNotification
AlertV2EvaluationNotificationSubscriptions = _alert.AlertV2EvaluationNotificationSubscriptions
AlertV2EvaluationSource = _alert.AlertV2EvaluationSource
AlertV2EvaluationThreshold = _alert.AlertV2EvaluationThreshold
AlertV2EvaluationThresholdValue = _alert.AlertV2EvaluationThresholdValue
AlertV2Schedule = _alert.AlertV2Schedule
_app = _provider("app")
DatabricksApp = _app.App  # the Databricks App resource (not the CDK's App)
AppResources = _app.AppResources
AppResourcesJob = _app.AppResourcesJob
AppResourcesSqlWarehouse = _app.AppResourcesSqlWarehouse
Cluster = _provider("cluster").Cluster
DataDatabricksApp = _provider("data_databricks_app").DataDatabricksApp
DataDatabricksCurrentUser = _provider("data_databricks_current_user").DataDatabricksCurrentUser
DataDatabricksNodeType = _provider("data_databricks_node_type").DataDatabricksNodeType
DataDatabricksSparkVersion = _provider("data_databricks_spark_version").DataDatabricksSparkVersion
DatabricksProvider = _provider("provider").DatabricksProvider
File = _provider("file").File
Grant = _provider("grant").Grant
Notebook = _provider("notebook").Notebook
_job = _provider("job")
Job = _job.Job
JobEmailNotifications = _job.JobEmailNotifications
JobEnvironment = _job.JobEnvironment
JobEnvironmentSpec = _job.JobEnvironmentSpec
JobJobCluster = _job.JobJobCluster
JobJobClusterNewCluster = _job.JobJobClusterNewCluster
JobParameter = _job.JobParameter
JobTask = _job.JobTask
JobTaskConditionTask = _job.JobTaskConditionTask
JobTaskDependsOn = _job.JobTaskDependsOn
JobTaskLibrary = _job.JobTaskLibrary
JobTaskPipelineTask = _job.JobTaskPipelineTask
JobTaskPythonWheelTask = _job.JobTaskPythonWheelTask
JobTaskSparkPythonTask = _job.JobTaskSparkPythonTask
JobTaskSqlTask = _job.JobTaskSqlTask
JobTaskSqlTaskFile = _job.JobTaskSqlTaskFile
JobSchedule = _job.JobSchedule
JobContinuous = _job.JobContinuous
JobWebhookNotifications = _job.JobWebhookNotifications
JobWebhookNotificationsOnFailure = _job.JobWebhookNotificationsOnFailure
_destination = _provider("notification_destination")
NotificationDestination = _destination.NotificationDestination
NotificationDestinationConfigA = _destination.NotificationDestinationConfigA
NotificationDestinationConfigEmail = _destination.NotificationDestinationConfigEmail
NotificationDestinationConfigGenericWebhook = (
    _destination.NotificationDestinationConfigGenericWebhook
)
_permissions = _provider("permissions")
Permissions = _permissions.Permissions
PermissionsAccessControl = _permissions.PermissionsAccessControl
_pipeline = _provider("pipeline")
Pipeline = _pipeline.Pipeline
PipelineCluster = _pipeline.PipelineCluster
PipelineClusterAutoscale = _pipeline.PipelineClusterAutoscale
PipelineEnvironment = _pipeline.PipelineEnvironment
PipelineLibrary = _pipeline.PipelineLibrary
PipelineLibraryFile = _pipeline.PipelineLibraryFile
PipelineNotification = _pipeline.PipelineNotification
Schema = _provider("schema").Schema
SecretScope = _provider("secret_scope").SecretScope
SqlEndpoint = _provider("sql_endpoint").SqlEndpoint
Volume = _provider("volume").Volume
WorkspaceFile = _provider("workspace_file").WorkspaceFile
