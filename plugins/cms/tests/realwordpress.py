"""A real WordPress (Debian's ``wordpress`` package) for the contract tests.

The core files are used in place; a throwaway docroot holds copies of the top-level scripts,
links to ``wp-admin`` and ``wp-includes``, its own ``wp-config.php`` and ``wp-content``. The
site gets a fresh MariaDB database (dropped at the end), is installed by ``wp_install()`` run
from the PHP command line and served by ``php -S``. It keeps WordPress's default plain
permalinks, so its REST API answers under ``/?rest_route=`` only (as on many real sites).

``RealWordPress`` offers the editor's operations of ``FakeWordPress`` (``add``, ``edit``,
``remove``, ``by_slug``, ``items``, ``app_password``, ``requests``, ``reads``) through the REST API
as the site's administrator, plus PHP and SQL where the API has no way (modification times,
the stored application password). A must-use plugin records every REST request it served that
did not come from the fixture itself, as the fake records its requests.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

CORE = Path("/usr/share/wordpress")
DB_HOST = os.environ.get("WORDPRESS_TEST_DB_HOST", "127.0.0.1")
DB_PORT = os.environ.get("WORDPRESS_TEST_DB_PORT", "3306")
DB_USER = os.environ.get("WORDPRESS_TEST_DB_USER", "root")
DB_PASSWORD = os.environ.get("WORDPRESS_TEST_DB_PASSWORD", "")
USERNAME = "editor"
#: Sent by the fixture's own requests; the recording plugin leaves them out.
OWN_HEADER = "X-Eventyay-Test-Fixture"
PREFIX = "/wp-json/wp/v2/"

RECORDER = """<?php
// Records each REST request this site served (except the test fixture's own) as a JSON line.
add_filter('rest_post_dispatch', function ($response, $server, $request) {
    if (!empty($_SERVER['HTTP_X_EVENTYAY_TEST_FIXTURE'])) {
        return $response;
    }
    $query = wp_unslash($_GET);  // as sent (the request's own are sanitised already)
    unset($query['rest_route']);
    $sent = !empty($_SERVER['HTTP_AUTHORIZATION']) || isset($_SERVER['PHP_AUTH_USER']);
    $line = json_encode([
        'method' => $request->get_method(),
        'path' => '/wp-json' . $request->get_route(),
        'query' => (object) $query,
        'body' => (object) ($request->get_json_params() ?: []),
        'auth' => $sent ? is_user_logged_in() : null,
        'status' => $response->get_status(),
    ]);
    file_put_contents(EVENTYAY_TEST_LOG, $line . "\\n", FILE_APPEND | LOCK_EX);
    return $response;
}, 1000, 3);
"""

ROUTER = """<?php
// php -S router: static files as they are, everything else through WordPress's index.php.
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$file = $_SERVER['DOCUMENT_ROOT'] . $path;
if ($path !== '/' && is_file($file) && substr($path, -4) !== '.php') {
    return false;
}
if ($path !== '/' && is_file($file)) {
    $_SERVER['SCRIPT_NAME'] = $path;
    $_SERVER['SCRIPT_FILENAME'] = $file;
    chdir(dirname($file));
    require $file;
    return;
}
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $_SERVER['DOCUMENT_ROOT'] . '/index.php';
require $_SERVER['DOCUMENT_ROOT'] . '/index.php';
"""


def available() -> bool:
    """Whether PHP and Debian's WordPress are installed (MariaDB is checked when starting)."""
    return shutil.which("php") is not None and (CORE / "wp-settings.php").is_file()


def _php_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _normalised(password: str) -> str:
    """What WordPress checks of an application password: letters and digits only."""
    return "".join(char for char in password if char.isalnum())


class RequestLog(list[dict[str, Any]]):
    """The recorded requests; ``clear()`` empties the site's log too."""

    def __init__(self, path: Path) -> None:
        self.path = path
        lines = path.read_text().splitlines() if path.exists() else []
        super().__init__(json.loads(line) for line in lines if line)

    def clear(self) -> None:
        self.path.write_text("")
        super().clear()


class RealWordPress:
    def __init__(self, directory: Path, port: int, app_password: str) -> None:
        self.directory = directory
        self.docroot = directory / "site"
        self.log = directory / "requests.jsonl"
        self.port = port
        self.database = f"eventyay_wp_{os.getpid()}_{secrets.token_hex(4)}"
        self.admin_password = secrets.token_urlsafe(16)
        self._app_password = self._initial_password = _normalised(app_password)
        self._fixture_password = ""
        self.server: subprocess.Popen[bytes] | None = None
        self.clock = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        self.timings: dict[str, float] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- lifecycle ---------------------------------------------------------------------------

    def _sql(self, statement: str, database: str | None = None) -> str:
        command = ["mysql", f"-h{DB_HOST}", f"-P{DB_PORT}", f"-u{DB_USER}", "-N", "-B", "-e", statement]
        if database:
            command.append(database)
        env = {**os.environ, "MYSQL_PWD": DB_PASSWORD}
        return subprocess.run(command, env=env, check=True, capture_output=True, text=True, timeout=60).stdout

    def php(self, code: str, prelude: str = "") -> str:
        """Run ``code`` from the PHP command line with WordPress loaded (as the site's code)."""
        script = (
            prelude + f"$_SERVER['HTTP_HOST'] = '127.0.0.1:{self.port}';"
            f"require {_php_string(str(self.docroot / 'wp-load.php'))};" + code
        )
        result = subprocess.run(
            ["php", "-r", script], cwd=self.docroot, capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"PHP failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def _write_site(self) -> None:
        self.docroot.mkdir(parents=True)
        for entry in CORE.iterdir():
            if entry.name in ("wp-config.php", "wp-content", ".htaccess"):
                continue
            target = self.docroot / entry.name
            if entry.is_dir():
                target.symlink_to(entry)
            else:
                # Copied, not linked: wp-load.php finds wp-config.php next to its real path.
                shutil.copy(entry, target)
        content = self.docroot / "wp-content"
        (content / "mu-plugins").mkdir(parents=True)
        (content / "uploads").mkdir()
        (content / "mu-plugins" / "eventyay-test-recorder.php").write_text(RECORDER)
        keys = "".join(
            f"define('{name}', '{secrets.token_hex(32)}');\n"
            for name in (
                "AUTH_KEY",
                "SECURE_AUTH_KEY",
                "LOGGED_IN_KEY",
                "NONCE_KEY",
                "AUTH_SALT",
                "SECURE_AUTH_SALT",
                "LOGGED_IN_SALT",
                "NONCE_SALT",
            )
        )
        (self.docroot / "wp-config.php").write_text(
            "<?php\n"
            f"define('DB_NAME', '{self.database}');\n"
            f"define('DB_USER', {_php_string(DB_USER)});\n"
            f"define('DB_PASSWORD', {_php_string(DB_PASSWORD)});\n"
            f"define('DB_HOST', {_php_string(f'{DB_HOST}:{DB_PORT}')});\n"
            "define('DB_CHARSET', 'utf8mb4');\n"
            "define('DB_COLLATE', '');\n"
            f"{keys}"
            f"define('WP_HOME', '{self.url}');\n"
            f"define('WP_SITEURL', '{self.url}');\n"
            f"define('WP_CONTENT_DIR', {_php_string(str(content))});\n"
            f"define('WP_CONTENT_URL', '{self.url}/wp-content');\n"
            # Application passwords over plain http.
            "define('WP_ENVIRONMENT_TYPE', 'local');\n"
            "define('AUTOMATIC_UPDATER_DISABLED', true);\n"
            "define('WP_AUTO_UPDATE_CORE', false);\n"
            "define('DISABLE_WP_CRON', true);\n"
            "define('WP_HTTP_BLOCK_EXTERNAL', true);\n"
            f"define('EVENTYAY_TEST_LOG', {_php_string(str(self.log))});\n"
            "$table_prefix = 'wp_';\n"
            "if (!defined('ABSPATH')) { define('ABSPATH', __DIR__ . '/'); }\n"
            "require_once ABSPATH . 'wp-settings.php';\n"
        )
        (self.directory / "router.php").write_text(ROUTER)

    def start(self) -> RealWordPress:
        started = time.monotonic()
        self._write_site()
        self._sql(f"CREATE DATABASE `{self.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        try:
            installed = self.php(
                "require_once ABSPATH . 'wp-admin/includes/upgrade.php';"
                f"$result = wp_install('eventyay test', '{USERNAME}', 'editor@example.org', false, '',"
                f" {_php_string(self.admin_password)});"
                "echo json_encode(['user_id' => $result['user_id']]);",
                prelude="define('WP_INSTALLING', true);",
            )
            if not installed.strip().startswith('{"user_id":'):
                raise RuntimeError(f"wp_install() did not finish: {installed}")
            self.timings["install"] = time.monotonic() - started
            self.app_password = self._app_password
            self.log.write_text("")
            self.server = subprocess.Popen(
                [
                    "php",
                    "-S",
                    f"127.0.0.1:{self.port}",
                    "-t",
                    str(self.docroot),
                    str(self.directory / "router.php"),
                ],
                cwd=self.docroot,
                stdout=subprocess.DEVNULL,
                stderr=(self.directory / "server.log").open("w"),
                env={**os.environ, "PHP_CLI_SERVER_WORKERS": "2"},
                # Its own process group: stopping it stops the workers too.
                start_new_session=True,
            )
            deadline = time.monotonic() + 60
            answer = "nothing"
            while True:
                if self.server.poll() is not None:
                    raise RuntimeError(f"php -S exited:\n{(self.directory / 'server.log').read_text()}")
                try:
                    response = self._api("GET", "types/page")
                    if response.status_code == 200:
                        break
                    answer = f"{response.status_code} {response.text[:500]}"
                except requests.RequestException as exc:
                    answer = str(exc)
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the WordPress site did not answer: {answer}")
                time.sleep(0.2)
        except BaseException:
            self.stop()
            raise
        self.timings["start"] = time.monotonic() - started
        return self

    def stop(self) -> None:
        if self.server is not None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait()
            self.server = None
        self._sql(f"DROP DATABASE IF EXISTS `{self.database}`")

    def reset(self) -> None:
        """An empty site again: no posts or pages, the known application password, no requests."""
        self._sql(
            "DELETE FROM wp_posts; DELETE FROM wp_postmeta; DELETE FROM wp_term_relationships;"
            " DELETE FROM wp_comments; DELETE FROM wp_commentmeta;",
            self.database,
        )
        if self._app_password != self._initial_password:
            self.app_password = self._initial_password
        self.log.write_text("")

    # --- the editor's side -------------------------------------------------------------------

    def _api(self, method: str, route: str, **kwargs: Any) -> requests.Response:
        params = {"rest_route": "/wp/v2/" + route, **kwargs.pop("params", {})}
        return requests.request(
            method,
            self.url + "/",
            params=params,
            auth=(USERNAME, self.admin_password_for_api),
            headers={OWN_HEADER: "1"},
            timeout=60,
            **kwargs,
        )

    @property
    def admin_password_for_api(self) -> str:
        """The fixture's own application password (a second one, never changed by the tests)."""
        return self._fixture_password

    @property
    def app_password(self) -> str:
        return self._app_password

    @app_password.setter
    def app_password(self, value: str) -> None:
        """Store ``value`` as the application password the connection uses (created through
        WordPress's own API on the first call, its hash replaced afterwards)."""
        self._app_password = _normalised(value)
        output = self.php(
            f"$user = get_user_by('login', '{USERNAME}');"
            "$items = WP_Application_Passwords::get_user_application_passwords($user->ID);"
            "$names = array_column($items, 'name');"
            "if (!in_array('fixture', $names, true)) {"
            "  [$fixture] = WP_Application_Passwords::create_new_application_password("
            "    $user->ID, ['name' => 'fixture']);"
            "  echo $fixture;"
            "}"
            "if (!in_array('eventyay', $names, true)) {"
            "  WP_Application_Passwords::create_new_application_password($user->ID, ['name' => 'eventyay']);"
            "}"
            "$items = get_user_meta($user->ID, '_application_passwords', true);"
            "foreach ($items as &$item) {"
            "  if ($item['name'] === 'eventyay') {"
            f"    $item['password'] = wp_hash_password({_php_string(self._app_password)});"
            "  }"
            "}"
            "update_user_meta($user->ID, '_application_passwords', $items);"
        )
        if output.strip():
            self._fixture_password = output.strip()

    def tick(self, seconds: int = 60) -> datetime:
        self.clock += timedelta(seconds=seconds)
        return self.clock

    def _set_modified(self, number: int) -> None:
        """Move the item's modification time on the fake's clock (the API always says now)."""
        stamp = self.tick().strftime("%Y-%m-%d %H:%M:%S")
        self._sql(
            f"UPDATE wp_posts SET post_modified = '{stamp}', post_modified_gmt = '{stamp}' WHERE ID = {number}",
            self.database,
        )

    def add(self, collection: str, title: str, content: str = "", slug: str | None = None) -> int:
        body = {
            "title": title,
            "content": content,
            "slug": slug or title.lower().replace(" ", "-"),
            "status": "publish",
        }
        response = self._api("POST", collection, json=body)
        response.raise_for_status()
        number = int(response.json()["id"])
        self._set_modified(number)
        return number

    def edit(self, collection: str, number: int, **changes: str) -> None:
        response = self._api("POST", f"{collection}/{number}", json=changes)
        response.raise_for_status()
        self._set_modified(number)

    def remove(self, collection: str, number: int) -> None:
        self._api("DELETE", f"{collection}/{number}", params={"force": "true"}).raise_for_status()

    def _list(self, collection: str, params: dict[str, str]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page, total = 1, 1
        while page <= total:
            response = self._api(
                "GET",
                collection,
                params={"status": "any", "per_page": "100", "page": str(page), "context": "edit", **params},
            )
            response.raise_for_status()
            rows.extend(response.json())
            total = int(response.headers.get("X-WP-TotalPages") or 1)
            page += 1
        return rows

    def by_slug(self, collection: str, slug: str) -> list[dict[str, Any]]:
        return self._list(collection, {"slug": slug})

    @property
    def items(self) -> dict[str, dict[int, dict[str, Any]]]:
        """Every page and post as the API shows it to the administrator, by id."""
        return {
            collection: {int(row["id"]): row for row in self._list(collection, {})}
            for collection in ("pages", "posts")
        }

    @property
    def requests(self) -> RequestLog:
        return RequestLog(self.log)

    def reads(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "GET" and r["path"] == PREFIX + path]
