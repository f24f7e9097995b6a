#!/usr/bin/env bash
# Make sure what `make test` or `make run` needs is here, and running.
#
#   .ci/ensure_services.sh test   PostgreSQL, Redis, Chromium and the WeasyPrint libraries (make test)
#   .ci/ensure_services.sh run    the WeasyPrint libraries only (make run: SQLite, no server)
#   add --dry-run to print what would be installed or started and change nothing.
#
# A stopped service whose programs are installed is started. What is missing is installed with
# apt-get when this runs as root on Debian; otherwise the script stops and says exactly what to
# install. A PostgreSQL that this script installed gets trust auth for user postgres on the
# loopback addresses (what the tests' postgres://postgres@127.0.0.1:5432 needs); an existing
# PostgreSQL is never reconfigured. The HTML validator of the browser suite (the W3C Nu validator,
# npm package vnu-jar, a 32 MB jar: installed here from the npm registry into .venv/vnu rather than
# committed) needs a Java runtime and npm.
#
# The decision is `plan` (facts in, actions out), kept apart from the probing and the doing so
# that portal/tests/test_tooling.py can check it without touching the machine.
set -u

PG_PORT=5432
PG_CLUSTER=main
REDIS_PORT=6379
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
PYTHON_BIN=${PYTHON_BIN:-.venv/bin/python}
# The shared libraries WeasyPrint 70 loads (gobject, pango, pangoft2, harfbuzz, harfbuzz-subset,
# fontconfig) and the font the PDF templates ask for.
WEASYPRINT_PACKAGES="libglib2.0-0 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core"
VALIDATOR_PACKAGES="default-jre-headless npm"
VNU_VERSION=26.9.27
ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VNU_DIR=${VNU_DIR:-$ROOT_DIR/.venv/vnu}
VNU_JAR=${VNU_JAR:-$VNU_DIR/node_modules/vnu-jar/build/dist/vnu.jar}
HBA_MARK="# Portail Famille .ci/ensure_services.sh: this script installed PostgreSQL for the test suite"

# --- decision ------------------------------------------------------------------------------
# plan MODE CAN_INSTALL PG REDIS CHROMIUM_OK WEASYPRINT_OK [VALIDATOR_OK]
#   MODE: test | run; CAN_INSTALL: yes (root with apt-get) | no
#   PG: up | refused (answers but will not let postgres in without a password) | stopped | absent | remote
#   REDIS: up | stopped | absent; CHROMIUM_OK, WEASYPRINT_OK: yes | no
#   VALIDATOR_OK: yes | no — java and npm are there (default yes)
# Prints one action a line: "install PACKAGES", "trust-postgres", "start postgresql",
# "start redis", or "tell WHAT" (cannot fix it: explain and fail).
plan() {
  local mode=$1 can_install=$2 pg=$3 redis=$4 chromium=$5 weasyprint=$6 validator=${7:-yes} packages=""
  if [ "$weasyprint" = no ]; then
    if [ "$can_install" = yes ]; then packages="$WEASYPRINT_PACKAGES"; else echo "tell weasyprint"; fi
  fi
  if [ "$mode" = test ]; then
    case $pg in
      absent)
        if [ "$can_install" = yes ]; then packages="$packages postgresql"; else echo "tell postgresql"; fi ;;
      refused) echo "tell postgresql-auth" ;;
    esac
    if [ "$redis" = absent ]; then
      if [ "$can_install" = yes ]; then packages="$packages redis-server"; else echo "tell redis"; fi
    fi
    if [ "$chromium" = no ]; then
      if [ "$can_install" = yes ]; then packages="$packages chromium"; else echo "tell chromium"; fi
    fi
    if [ "$validator" = no ]; then
      if [ "$can_install" = yes ]; then packages="$packages $VALIDATOR_PACKAGES"; else echo "tell validator"; fi
    fi
  fi
  packages=${packages# }
  if [ -n "$packages" ]; then echo "install $packages"; fi
  if [ "$mode" = test ]; then
    if [ "$pg" = absent ] && [ "$can_install" = yes ]; then echo "trust-postgres"; fi
    case $pg in stopped) echo "start postgresql" ;; absent) [ "$can_install" = yes ] && echo "start postgresql" ;; esac
    case $redis in stopped) echo "start redis" ;; absent) [ "$can_install" = yes ] && echo "start redis" ;; esac
  fi
  return 0
}

tell() {
  case $1 in
    weasyprint)
      echo "PDF printing (WeasyPrint) needs Pango and HarfBuzz. As root: apt-get install $WEASYPRINT_PACKAGES" ;;
    postgresql)
      echo "The tests need PostgreSQL on 127.0.0.1:$PG_PORT. As root: apt-get install postgresql, then let user"
      echo "'postgres' connect from 127.0.0.1 without a password: in /etc/postgresql/*/main/pg_hba.conf put"
      echo "  host all postgres 127.0.0.1/32 trust"
      echo "before the other 'host' lines and reload PostgreSQL (running 'make test' as root does all this)."
      echo "Or point the tests at another server: make test TEST_DATABASE_URL=postgres://user:password@host:5432/portal" ;;
    postgresql-auth)
      echo "PostgreSQL on 127.0.0.1:$PG_PORT refuses user 'postgres' without a password. This script does not"
      echo "change an installation it did not make: either add 'host all postgres 127.0.0.1/32 trust' first in"
      echo "pg_hba.conf and reload, or give the tests an account: make test TEST_DATABASE_URL=postgres://user:password@127.0.0.1:5432/portal"
      echo "(the account must be allowed to create databases)." ;;
    redis)
      echo "The Celery integration test needs Redis on 127.0.0.1:$REDIS_PORT. As root: apt-get install redis-server" ;;
    chromium)
      echo "The browser tests need Chromium at $CHROMIUM. As root: apt-get install chromium (or set CHROMIUM_PATH)" ;;
    validator)
      echo "The browser tests validate the pages with the W3C Nu validator (Java, installed with npm)."
      echo "As root: apt-get install $VALIDATOR_PACKAGES" ;;
    vnu)
      echo "npm could not install the validator: npm install --prefix $VNU_DIR vnu-jar@$VNU_VERSION (or set VNU_JAR)" ;;
  esac
}

# --- probing -------------------------------------------------------------------------------
pg_cluster_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -1; }
pg_up() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; }
pg_lets_postgres_in() { psql -w -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -Atqc "select 1" >/dev/null 2>&1; }
redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

TEST_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:$PG_PORT/portal}

pg_state() {
  # A TEST_DATABASE_URL on another host is that server's business: nothing to install here.
  case $TEST_URL in
    *@127.0.0.1:$PG_PORT/*|*@localhost:$PG_PORT/*) ;;
    *) echo remote; return ;;
  esac
  if pg_up; then
    pg_login_state
  elif command -v pg_ctlcluster >/dev/null 2>&1 && [ -n "$(pg_cluster_version)" ]; then echo stopped
  else echo absent
  fi
}

# With the default URL (user postgres, no password), check that the server lets it in.
pg_login_state() {
  case $TEST_URL in
    postgres://postgres@*|postgresql://postgres@*)
      if command -v psql >/dev/null 2>&1 && ! pg_lets_postgres_in; then echo refused; return; fi ;;
  esac
  echo up
}

weasyprint_state() {
  if [ -x "$PYTHON_BIN" ]; then yes_if "$PYTHON_BIN" -c "import weasyprint"; return; fi
  # No virtualenv yet: look at the Debian packages instead.
  if command -v dpkg-query >/dev/null 2>&1 \
     && ! dpkg-query -W -f='${db:Status-Abbrev}\n' $WEASYPRINT_PACKAGES 2>/dev/null | grep -qv '^ii'; then
    echo yes
  else
    echo no
  fi
}

redis_state() {
  if redis_up; then echo up
  elif command -v redis-server >/dev/null 2>&1; then echo stopped
  else echo absent
  fi
}

yes_if() { if "$@" >/dev/null 2>&1; then echo yes; else echo no; fi; }

can_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then echo yes; else echo no; fi
}

# --- doing ---------------------------------------------------------------------------------
install_packages() {
  echo "Installing with apt-get: $*"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

trust_postgres() {
  local version hba
  version=$(pg_cluster_version)
  if [ -z "$version" ]; then  # the package was told not to create the default cluster
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    pg_createcluster "$version" "$PG_CLUSTER" >/dev/null
  fi
  hba=/etc/postgresql/$version/$PG_CLUSTER/pg_hba.conf
  grep -qF "$HBA_MARK" "$hba" && return 0
  echo "PostgreSQL $version was installed for the tests: user postgres may connect from 127.0.0.1 and ::1 without a password."
  { echo "$HBA_MARK"
    echo "host all postgres 127.0.0.1/32 trust"
    echo "host all postgres ::1/128 trust"
    cat "$hba"; } > "$hba.new" && chown --reference="$hba" "$hba.new" && chmod --reference="$hba" "$hba.new" \
    && mv "$hba.new" "$hba"
  # The package may have started the cluster already: make it read the new rules.
  pg_ctlcluster --skip-systemctl-redirect "$version" "$PG_CLUSTER" reload >/dev/null 2>&1 || true
}

start_postgresql() {
  pg_up && return 0
  echo "PostgreSQL is not answering on 127.0.0.1:$PG_PORT; starting it."
  pg_ctlcluster --skip-systemctl-redirect "$(pg_cluster_version)" "$PG_CLUSTER" start || true
  for _ in $(seq 1 30); do pg_up && return 0; sleep 1; done
  echo "PostgreSQL did not start: see /var/log/postgresql/ (starting it needs root:"
  echo "  pg_ctlcluster $(pg_cluster_version) $PG_CLUSTER start)."
  return 1
}

# The Nu validator's jar, from the npm registry, pinned (a VNU_JAR given in the environment wins).
ensure_vnu() {
  [ -f "$VNU_JAR" ] && return 0
  echo "Installing the HTML validator (npm vnu-jar@$VNU_VERSION) into $VNU_DIR."
  mkdir -p "$VNU_DIR" && npm install --silent --prefix "$VNU_DIR" --no-save --no-audit --no-fund --ignore-scripts \
    "vnu-jar@$VNU_VERSION" >/dev/null 2>&1
  [ -f "$VNU_JAR" ] || { tell vnu; return 1; }
}

start_redis() {
  redis_up && return 0
  echo "Redis is not answering on 127.0.0.1:$REDIS_PORT; starting it."
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  for _ in $(seq 1 20); do redis_up && return 0; sleep 0.5; done
  echo "Redis did not start (as root it can write /var/lib/redis; see /var/log/redis/ci.log)."
  return 1
}

main() {
  local mode=${1:-test} dry_run=no failed=0 actions action
  [ "${2:-}" = --dry-run ] && dry_run=yes
  case $mode in test|run) ;; *) echo "usage: $0 test|run [--dry-run]" >&2; return 2 ;; esac
  local weasyprint pg=remote redis=up chromium=yes validator=yes
  weasyprint=$(weasyprint_state)
  if [ "$mode" = test ]; then
    pg=$(pg_state); redis=$(redis_state); chromium=$(yes_if test -x "$CHROMIUM")
    validator=$(yes_if sh -c "command -v java && command -v npm")
  fi
  actions=$(plan "$mode" "$(can_install)" "$pg" "$redis" "$chromium" "$weasyprint" "$validator")
  if [ "$mode" = test ] && [ ! -f "$VNU_JAR" ]; then
    actions=${actions:+$actions$'\n'}"npm-install vnu-jar@$VNU_VERSION"
  fi
  if [ "$dry_run" = yes ]; then
    echo "${actions:-nothing to do}"
    return 0
  fi
  while IFS= read -r action; do
    case $action in
      "tell "*) tell "${action#tell }"; failed=1 ;;
    esac
  done <<< "$actions"
  [ "$failed" = 1 ] && return 1
  while IFS= read -r action; do
    case $action in
      "install "*) install_packages ${action#install } || { echo "apt-get failed: install ${action#install } by hand."; return 1; } ;;
      trust-postgres) trust_postgres || return 1 ;;
      "start postgresql")
        start_postgresql || return 1
        if [ "$(pg_login_state)" = refused ]; then tell postgresql-auth; return 1; fi ;;
      "start redis") start_redis || return 1 ;;
      "npm-install "*) ensure_vnu || return 1 ;;
    esac
  done <<< "$actions"
  if [ "$weasyprint" = no ] && [ -x "$PYTHON_BIN" ] && ! "$PYTHON_BIN" -c "import weasyprint" >/dev/null 2>&1; then
    echo "WeasyPrint still cannot load its libraries:"; "$PYTHON_BIN" -c "import weasyprint" 2>&1 | tail -3
    return 1
  fi
  if [ "$mode" = test ] && [ "$chromium" = no ] && [ ! -x "$CHROMIUM" ]; then
    tell chromium; return 1
  fi
  return 0
}

# Run, unless sourced (the tests source it to call `plan`).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
