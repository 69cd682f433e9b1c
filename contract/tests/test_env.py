from foundry_contract import ENV_VARS, Service, env_vars_for


def test_names_are_unique_and_upper_snake_case() -> None:
    names = [var.name for var in ENV_VARS]
    assert len(names) == len(set(names))
    assert all(name.isupper() and " " not in name for name in names)


def test_secrets_have_no_defaults() -> None:
    assert [var.name for var in ENV_VARS if var.secret and var.default is not None] == []


def test_local_only_variables_are_left_out_unless_asked_for() -> None:
    names = {var.name for var in env_vars_for(Service.API)}
    assert "DATABASE_URL" not in names
    assert "DATABASE_URL" in {var.name for var in env_vars_for(Service.API, include_local_only=True)}
    assert "AI_INTERNAL_API_KEY" in {var.name for var in env_vars_for(Service.AI)}
