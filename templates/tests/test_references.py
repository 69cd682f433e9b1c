from foundry_templates.references import as_list, ref_id, references


def test_ref_id_names_the_logical_id_of_a_ref_or_getatt() -> None:
    assert ref_id({"Ref": "Vpc8378EB38"}) == "Vpc8378EB38"
    assert ref_id({"Fn::GetAtt": ["DatabaseB269D8BB", "Endpoint.Port"]}) == "DatabaseB269D8BB"


def test_ref_id_is_none_for_literals_imports_and_malformed_values() -> None:
    assert ref_id("sg-123") is None
    assert ref_id({"Fn::ImportValue": "Foundry-dev-edge:Acl"}) is None
    assert ref_id({"Ref": 7}) is None
    assert ref_id({"Fn::GetAtt": []}) is None
    assert ref_id(None) is None


def test_references_finds_every_id_nested_in_a_property() -> None:
    value = {
        "Fn::Join": [",", [{"Ref": "SubnetA"}, {"Fn::GetAtt": ["SubnetB", "SubnetId"]}]],
        "Groups": [{"Ref": "Sg1"}, "sg-literal", {"Nested": {"Ref": "Sg2"}}],
    }
    assert references(value) == {"SubnetA", "SubnetB", "Sg1", "Sg2"}
    assert references("literal") == set()


def test_as_list_wraps_a_single_value() -> None:
    assert as_list("s3:GetObject") == ["s3:GetObject"]
    assert as_list(["a", "b"]) == ["a", "b"]
