"""CDKTF entry point (`cdktf.json` runs `python -m infra.main`): wires config and stacks."""

from infra.cdk import App
from infra.config import load_config, selected_environments
from infra.stacks import GoldAccessStack, WorkspaceStack


def main() -> None:
    app = App()
    context = app.node.try_get_context("windmill")
    for env in selected_environments():
        config = load_config(env, context=context)
        WorkspaceStack(app, config.stack_name, config=config)
        GoldAccessStack(app, config.access_stack_name, config=config)
    app.synth()


if __name__ == "__main__":
    main()
