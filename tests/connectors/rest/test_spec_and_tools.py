"""OpenAPI loading, $ref resolution and operation -> tool generation."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from connectors.errors import ConfigError
from connectors.rest import AllowList, RestSpecError, SpecLimits, build_tools, load_spec, parse_spec
from connectors.rest.operations import HTTP_METHODS
from tests.connectors.rest.helpers import DATA
from tests.support import EXAMPLES

TICKETS_SPEC = EXAMPLES / "tickets" / "openapi.yaml"
ALL = AllowList(methods=frozenset(HTTP_METHODS))


def tools_of(spec, allow=ALL, api="petstore", **kw):
    return {t.name: t for t in build_tools(spec, api=api, allow=allow, **kw).tools}


def mini(paths: dict, components: dict | None = None, version: str = "3.1.0"):
    doc = {"openapi": version, "info": {"title": "t", "version": "1"}, "paths": paths}
    if components:
        doc["components"] = components
    return parse_spec(json.dumps(doc), source="mini.json")


# --- the example API ---------------------------------------------------------------

def test_example_spec_gives_read_tools_by_default_and_the_write_only_when_allowed():
    spec = load_spec(str(TICKETS_SPEC))
    assert spec.is_31
    reads = tools_of(spec, AllowList(), api="tickets", reserved_headers=["Authorization"])
    assert set(reads) == {
        "tickets_listTickets", "tickets_getTicket", "tickets_listTicketComments", "tickets_listCustomers",
        "tickets_getCustomer",
    }
    listing = reads["tickets_listTickets"].input_schema
    assert listing["additionalProperties"] is False and "required" not in listing
    assert listing["properties"]["limit"] == {
        "type": "integer", "maximum": 100, "minimum": 1, "description": "Page size.", "default": 20
    }
    assert listing["properties"]["status"]["anyOf"][0]["enum"] == ["open", "pending", "resolved", "closed"]
    assert reads["tickets_getTicket"].input_schema["required"] == ["ticket_id"]
    for tool in reads.values():
        assert tool.hints.read_only and tool.hints.idempotent and not tool.hints.destructive
        Draft202012Validator.check_schema(tool.input_schema)
    writes = tools_of(spec, AllowList(methods=frozenset({"GET", "POST"})), api="tickets")
    add = writes["tickets_addTicketComment"]
    assert add.method == "POST" and not add.hints.read_only and not add.hints.idempotent
    assert add.input_schema["required"] == ["ticket_id", "body"]
    assert add.input_schema["properties"]["body"]["required"] == ["author", "body"]
    assert "WRITES data" in add.description


# --- Petstore (written by others) -----------------------------------------------------

def test_petstore3_names_annotations_and_schemas():
    spec = load_spec(str(DATA / "petstore3.yaml"))
    assert not spec.is_31
    tools = tools_of(spec)
    assert len(tools) == 19 and all(n.startswith("petstore_") for n in tools)
    assert tools["petstore_getPetById"].input_schema == {
        "type": "object",
        "properties": {"petId": {"type": "integer", "format": "int64", "description": "ID of pet to return"}},
        "additionalProperties": False,
        "required": ["petId"],
    }
    update = tools["petstore_updatePet"]
    assert (update.hints.read_only, update.hints.destructive, update.hints.idempotent) == (False, True, True)
    delete = tools["petstore_deletePet"]
    assert (delete.hints.destructive, delete.hints.idempotent) == (True, True)
    assert set(delete.input_schema["properties"]) == {"petId", "api_key"}  # header parameter exposed
    add = tools["petstore_addPet"]
    assert (add.hints.destructive, add.hints.idempotent) == (False, False)
    body = add.input_schema["properties"]["body"]
    assert body["required"] == ["name", "photoUrls"]
    assert body["properties"]["category"]["properties"]["name"] == {"type": "string"}  # $ref inlined, example dropped
    assert "xml" not in json.dumps(body) and "x-swagger" not in json.dumps(body)
    assert tools["petstore_findPetsByTags"].input_schema["properties"]["tags"]["type"] == "array"
    # the octet-stream upload body is optional, so the tool exists without it
    assert "body" not in tools["petstore_uploadFile"].input_schema["properties"]
    for tool in tools.values():
        Draft202012Validator.check_schema(tool.input_schema)
        assert len(tool.description) < 900


def test_petstore3_allow_list_by_method_tag_and_operation_id():
    spec = load_spec(str(DATA / "petstore3.yaml"))
    reads = tools_of(spec, AllowList())
    assert all(t.method == "GET" for t in reads.values()) and len(reads) == 8
    pets = tools_of(spec, AllowList(include=frozenset({"pet"})))
    assert set(pets) == {"petstore_findPetsByStatus", "petstore_findPetsByTags", "petstore_getPetById"}
    no_login = tools_of(spec, AllowList(exclude=frozenset({"loginUser", "store"})))
    assert "petstore_loginUser" not in no_login and "petstore_getInventory" not in no_login
    one_write = tools_of(spec, AllowList(methods=frozenset({"GET", "DELETE"}), include=frozenset({"deleteOrder"})))
    assert set(one_write) == {"petstore_deleteOrder"}


@pytest.mark.parametrize("kind", ["include", "exclude"])
def test_allow_list_entries_that_match_nothing_are_errors(kind):
    spec = load_spec(str(DATA / "petstore3.yaml"))
    with pytest.raises(ConfigError) as info:
        build_tools(spec, api="p", allow=AllowList(**{kind: frozenset({"deletePets"})}))
    assert "'deletePets'" in str(info.value)


def test_unknown_methods_are_config_errors():
    with pytest.raises(ConfigError):
        AllowList(methods=frozenset({"GET", "TRACE"}))


def test_petstore_expanded_sanitises_names_and_resolves_allof():
    tools = tools_of(load_spec(str(DATA / "petstore-expanded.yaml")))
    assert set(tools) == {"petstore_findPets", "petstore_addPet", "petstore_find_pet_by_id", "petstore_deletePet"}
    assert tools["petstore_findPets"].description.startswith("Returns all pets from the system")
    assert len(tools["petstore_findPets"].description) < 800


def test_reserved_auth_and_unsafe_headers_are_never_arguments():
    spec = mini({"/x": {"get": {"operationId": "x", "parameters": [
        {"name": "Authorization", "in": "header", "schema": {"type": "string"}},
        {"name": "X-Api-Key", "in": "header", "schema": {"type": "string"}},
        {"name": "Host", "in": "header", "schema": {"type": "string"}},
        {"name": "X-Ok", "in": "header", "schema": {"type": "string"}},
        {"name": "session", "in": "cookie", "schema": {"type": "string"}},
        {"name": "api_key", "in": "query", "schema": {"type": "string"}},
    ]}}})
    tool = tools_of(spec, api="a", reserved_headers=["x-api-key"], reserved_query=["api_key"])["a_x"]
    assert set(tool.input_schema["properties"]) == {"X-Ok"}


# --- names ----------------------------------------------------------------------------

def test_names_without_operation_id_are_derived_and_sanitised_and_short():
    long_id = "get" + "VeryLong" * 20
    spec = mini({
        "/users/{user-id}/repos": {"get": {}},
        "/a.b/c d": {"post": {"operationId": "weird name!*"}},
        "/long": {"get": {"operationId": long_id}},
    })
    names = set(tools_of(spec, api="gh"))
    assert "gh_get_users_by_user-id_repos" in names and "gh_weird_name" in names
    long_name = next(n for n in names if n.startswith("gh_getVeryLong"))
    assert len(long_name) == 64
    assert all(len(n) <= 64 and all(c.isalnum() or c in "_-" for c in n) for n in names)


def test_clashing_names_are_settled_the_same_way_whatever_the_document_order():
    paths = {
        "/b": {"get": {"operationId": "list items"}},
        "/a": {"get": {"operationId": "list-items!"}, "post": {"operationId": "list_items"}},
        "/c": {"get": {"operationId": "list_items_2"}},
    }
    first = {(t.path, t.method): t.name for t in tools_of(mini(paths), api="x").values()}
    second = {(t.path, t.method): t.name for t in tools_of(mini(dict(reversed(paths.items()))), api="x").values()}
    assert first == second
    assert first[("/c", "GET")] == "x_list_items_2"  # unique names keep their plain form
    assert sorted(first.values()) == ["x_list-items", "x_list_items", "x_list_items_2", "x_list_items_3"]
    assert first[("/a", "GET")] == "x_list-items"


def test_argument_name_clashes_between_locations_are_settled():
    spec = mini({"/i/{id}": {"get": {"operationId": "g", "parameters": [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "id", "in": "query", "schema": {"type": "string"}},
        {"name": "body", "in": "query", "schema": {"type": "string"}},
        {"name": "a.b", "in": "query", "schema": {"type": "string"}},
    ]}}})
    tool = tools_of(spec, api="x")["x_g"]
    assert list(tool.input_schema["properties"]) == ["id", "id_query", "body", "a_b"]
    assert {(b.argument, b.name, b.location) for b in tool.params} == {
        ("id", "id", "path"), ("id_query", "id", "query"), ("body", "body", "query"), ("a_b", "a.b", "query"),
    }



def test_path_parameters_opt_in_to_slashes_by_extension_or_allow_reserved_and_the_extension_wins():
    tools = tools_of(load_spec(str(DATA / "reserved.yaml")), api="r")
    flags = {(t.name, b.argument): b.allow_reserved for t in tools.values() for b in t.params}
    assert flags == {
        ("r_getFile", "path"): True,  # x-ragbox-allow-reserved: true
        ("r_getBlob", "key"): True,  # allowReserved: true
        ("r_getPinned", "key"): False,  # allowReserved: true, x-ragbox-allow-reserved: false
        ("r_getDoc", "doc_id"): False,
        ("r_getDoc", "q"): True,  # carried, but a query value is always encoded
    }


# --- $ref and dialects ---------------------------------------------------------------------

def test_cyclic_refs_become_defs_and_still_validate():
    spec = mini(
        {"/tree": {"post": {"operationId": "t", "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Node"}}}}}}},
        {"schemas": {
            "Node": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                "owner": {"$ref": "#/components/schemas/Person"}}},
            "Person": {"type": "object", "properties": {"manager": {"$ref": "#/components/schemas/Person"}}},
        }},
    )
    schema = tools_of(spec, api="x")["x_t"].input_schema
    body = schema["properties"]["body"]
    assert body["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    assert set(schema["$defs"]) == {"Node", "Person"} and "$defs" not in body
    validator = Draft202012Validator(schema)
    good = {"body": {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}}
    assert validator.is_valid(good)
    assert not validator.is_valid({"body": {"name": "a", "children": [{"children": []}]}})


def test_openapi_30_nullable_and_exclusive_bounds_are_rewritten():
    spec = mini({"/x": {"get": {"operationId": "x", "parameters": [
        {"name": "n", "in": "query", "schema": {"type": "integer", "nullable": True, "minimum": 0, "exclusiveMinimum": True}},
        {"name": "e", "in": "query", "schema": {"type": "string", "enum": ["a"], "nullable": True}},
    ]}}}, version="3.0.3")
    props = tools_of(spec, api="x")["x_x"].input_schema["properties"]
    assert props["n"] == {"type": ["integer", "null"], "exclusiveMinimum": 0}
    assert props["e"] == {"type": ["string", "null"], "enum": ["a", None]}


def test_refs_for_parameters_and_bodies_are_followed():
    spec = mini(
        {"/x/{id}": {"parameters": [{"$ref": "#/components/parameters/Id"}],
                     "put": {"operationId": "put", "requestBody": {"$ref": "#/components/requestBodies/B"}}}},
        {"parameters": {"Id": {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}},
         "requestBodies": {"B": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}}},
    )
    tool = tools_of(spec, api="x")["x_put"]
    assert tool.input_schema["required"] == ["id", "body"]


# --- broken specs ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, words",
    [
        ("openapi: 3.0.0\npaths: {/x: {get: {}}\n  bad: [", "not valid YAML (line"),
        ('{"openapi": "3.0.0", "paths": ', "not valid JSON"),
        ("swagger: '2.0'\npaths: {}", "Swagger 2.0"),
        ("openapi: 4.0.0\npaths: {/x: {get: {}}}", "only OpenAPI 3.0 and 3.1"),
        ("openapi: 3.1.0\ninfo: {title: t}", "no 'paths'"),
        ("- just\n- a list", "not a mapping"),
    ],
)
def test_broken_specs_name_the_problem(text, words):
    with pytest.raises(RestSpecError) as info:
        parse_spec(text, source="broken.yaml")
    assert words in str(info.value) and "broken.yaml" in str(info.value)


@pytest.mark.parametrize(
    "ref, words",
    [("other.yaml#/components/schemas/X", "points outside the document"), ("#/components/schemas/Nope", "points to nothing")],
)
def test_bad_refs_name_the_ref(ref, words):
    spec = mini({"/x": {"get": {"operationId": "x", "parameters": [
        {"name": "q", "in": "query", "schema": {"$ref": ref}}]}}})
    with pytest.raises(RestSpecError) as info:
        build_tools(spec, api="x")
    assert words in str(info.value) and ref in str(info.value)


def test_missing_and_oversized_spec_files(tmp_path):
    with pytest.raises(RestSpecError, match="No OpenAPI spec at"):
        load_spec(str(tmp_path / "nope.yaml"))
    big = tmp_path / "big.yaml"
    big.write_text("openapi: 3.1.0\n" + "#" * 2_000)
    with pytest.raises(RestSpecError, match="over the 1,000-byte limit"):
        load_spec(str(big), limits=SpecLimits(max_bytes=1_000))


def test_schemas_that_explode_after_ref_expansion_are_refused():
    # each level references the next twice: 2**20 nodes once inlined (a "billion laughs" of $refs)
    schemas = {f"L{i}": {"type": "object", "properties": {"a": {"$ref": f"#/components/schemas/L{i + 1}"},
                                                        "b": {"$ref": f"#/components/schemas/L{i + 1}"}}}
               for i in range(20)}
    schemas["L20"] = {"type": "string"}
    spec = mini({"/x": {"post": {"operationId": "boom", "requestBody": {"content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/L0"}}}}}}}, {"schemas": schemas})
    with pytest.raises(RestSpecError) as info:
        build_tools(spec, api="x", allow=ALL)
    assert "exclude" in str(info.value) and "boom" in str(info.value)


def test_too_many_operations_is_a_clear_error():
    spec = mini({f"/p{i}": {"get": {}} for i in range(20)})
    with pytest.raises(RestSpecError, match="more than 10 operations"):
        build_tools(spec, api="x", limits=SpecLimits(max_operations=10))


def test_no_allowed_operation_is_an_error():
    spec = mini({"/x": {"post": {"operationId": "x"}}})
    with pytest.raises(RestSpecError, match="passes its allow-list"):
        build_tools(spec, api="x")
