"""Settings come from the environment and fail with a message naming the variable."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.settings import SettingsError, load_settings


@pytest.fixture(scope="module")
def pem():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def environ(pem):
    return {
        "GITHUB_APP_ID": "42",
        "GITHUB_PRIVATE_KEY": pem,
        "GITHUB_WEBHOOK_SECRET": "s3cret-value",
    }


def test_defaults(environ):
    settings = load_settings(environ)
    assert settings.github_app_id == 42
    assert settings.api_url == "https://api.github.com"
    assert settings.port == 8080
    assert settings.ready_timeout == 600
    assert settings.max_pods == 20
    assert (settings.default_cpu, settings.default_memory) == ("250m", "1Gi")
    assert (settings.max_cpu, settings.max_memory) == ("2000m", "8Gi")
    assert settings.kubeconfig is None


def test_enterprise_api_url(environ):
    environ["GITHUB_API_URL"] = "https://github.example.com/api/v3/"
    assert load_settings(environ).api_url == "https://github.example.com/api/v3"


def test_secrets_hidden_from_repr(environ, pem):
    text = repr(load_settings(environ))
    assert "s3cret-value" not in text
    assert "PRIVATE KEY" not in text


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("GITHUB_APP_ID", "abc", "GITHUB_APP_ID: Input should be a valid integer"),
        ("GITHUB_APP_ID", "0", "GITHUB_APP_ID: Input should be greater than 0"),
        ("GITHUB_PRIVATE_KEY", "not a key", "GITHUB_PRIVATE_KEY: expected an RSA"),
        ("GITHUB_API_URL", "ftp://x", "GITHUB_API_URL: URL scheme should be"),
        ("PORT", "http", "PORT: Input should be a valid integer"),
        ("CITE_MAX_CPU", "much", "CITE_MAX_CPU: 'much' is not a Kubernetes quantity"),
        ("CITE_READY_TIMEOUT", "-1", "CITE_READY_TIMEOUT: Input should be greater"),
        ("CITE_ENVIRONMENT_URL", "http://{host}", "CITE_ENVIRONMENT_URL: expected"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT: Input should be 'text' or 'json'"),
    ],
)
def test_malformed_setting_is_named(environ, name, value, message):
    environ[name] = value
    with pytest.raises(SettingsError, match=r"^Invalid settings: ") as raised:
        load_settings(environ)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    "name", ["GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET"]
)
def test_missing_setting_is_named(environ, name):
    del environ[name]
    with pytest.raises(SettingsError) as raised:
        load_settings(environ)
    assert f"{name}: is required but not set" in str(raised.value)


def test_private_key_from_path(environ, pem, tmp_path):
    path = tmp_path / "key.pem"
    path.write_text(pem)
    del environ["GITHUB_PRIVATE_KEY"]
    environ["GITHUB_PRIVATE_KEY_PATH"] = str(path)
    settings = load_settings(environ)
    assert settings.github_private_key.get_secret_value() == pem


def test_unreadable_key_path_is_named(environ, tmp_path):
    del environ["GITHUB_PRIVATE_KEY"]
    environ["GITHUB_PRIVATE_KEY_PATH"] = str(tmp_path / "missing.pem")
    with pytest.raises(SettingsError, match=r"^GITHUB_PRIVATE_KEY_PATH: cannot read"):
        load_settings(environ)


def test_default_above_limit_is_rejected(environ):
    environ["CITE_DEFAULT_CPU"] = "3"
    with pytest.raises(SettingsError, match="CITE_DEFAULT_CPU is above CITE_MAX_CPU"):
        load_settings(environ)


def test_build_defaults(environ):
    settings = load_settings(environ)

    assert settings.build_namespace == "cite-builds"
    assert settings.builder_image.startswith("gcr.io/kaniko-project/executor:")
    assert (settings.build_cpu, settings.build_memory) == ("1", "2Gi")
    assert settings.build_deadline == 1800
    assert settings.public_base_url is None


def test_public_url_loses_trailing_slash(environ):
    environ["CITE_PUBLIC_URL"] = "https://cite.example.com/"

    assert load_settings(environ).public_base_url == "https://cite.example.com"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CITE_BUILD_CPU", "lots", "CITE_BUILD_CPU: 'lots' is not a Kubernetes"),
        ("CITE_BUILD_DEADLINE", "0", "CITE_BUILD_DEADLINE: Input should be greater"),
        ("CITE_BUILD_NAMESPACE", "Builds", "CITE_BUILD_NAMESPACE: String should"),
        ("CITE_PUBLIC_URL", "cite.example.com", "CITE_PUBLIC_URL: Input should be"),
    ],
)
def test_malformed_build_setting_is_named(environ, name, value, message):
    environ[name] = value

    with pytest.raises(SettingsError) as raised:
        load_settings(environ)

    assert message in str(raised.value)
