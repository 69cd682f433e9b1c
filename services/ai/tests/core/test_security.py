from foundry_ai.core.security import key_matches


def test_key_matches_only_the_exact_key() -> None:
    assert key_matches("s3cret-key", "s3cret-key")
    assert not key_matches("s3cret-kez", "s3cret-key")
    assert not key_matches("s3cret-key ", "s3cret-key")
    assert not key_matches("", "s3cret-key")
    assert not key_matches(None, "s3cret-key")


def test_non_ascii_keys_do_not_crash() -> None:
    assert not key_matches("ключ", "s3cret-key")
