"""`heroku_agents` re-exports its public names lazily: every name its literal `__all__` lists must resolve."""

import importlib

import heroku_agents


def test_every_name_in_all_resolves_to_the_object_its_module_defines() -> None:
    assert sorted(heroku_agents.__all__) == sorted(heroku_agents._EXPORTS)
    for name in heroku_agents.__all__:
        home = importlib.import_module(heroku_agents._EXPORTS[name])
        assert getattr(heroku_agents, name) is getattr(home, name), name
