#!/usr/bin/env bash
# There is no Docker engine on our machines. This replays the Dockerfile without Docker, as root:
#  1. The build context: the repository as .dockerignore leaves it (Docker's matching rules),
#     copied to a temporary directory. Fails when node_modules, data, .tools, dist, .git, .env or
#     a log would be in it, now or once they exist.
#  2. FROM (the Node on PATH must be the image's major version), WORKDIR, COPY from that context,
#     RUN, ENV and USER into a temporary root. RUN steps see the base image's user table (node =
#     1000:1000, as in the official node images) in a private mount namespace, so a `chown node`
#     does what it does in the image and the host's /etc/passwd stays untouched.
#  3. The CMD, as the image's user, twice: against DATABASE_URL, then without it on the embedded
#     database in the data directory the Dockerfile prepared (it must exist, owned by that user).
#     Each run must pass the HEALTHCHECK command and answer 200 on /ready within 60 s.
# Usage: DATABASE_URL=postgres://… scripts/replay-dockerfile.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL database the replayed server may migrate}"
[ "$(id -u)" = 0 ] || { echo "replay-dockerfile: run as root (it switches to the image's user)"; exit 1; }
database_url="$DATABASE_URL"

root="$(mktemp -d)"
chmod 755 "$root" # the image's user must reach /app inside it
server=""
stop_server() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
}
trap 'stop_server; rm -rf "$root"' EXIT

# --- 1. The build context ----------------------------------------------------------------------
context="$root/.context"
node --input-type=module -e '
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
const [repo, context] = process.argv.slice(1);

// .dockerignore as Docker reads it (moby/patternmatcher): "#" lines are comments, patterns are
// trimmed and cleaned, a leading "/" is dropped, "!" re-includes; the last matching pattern wins
// and a pattern that matches a parent directory matches everything below it.
const file = join(repo, ".dockerignore");
const lines = existsSync(file) ? readFileSync(file, "utf8").split(/\r?\n/) : [];
const patterns = [];
for (const line of lines) {
  if (line.startsWith("#")) continue;
  let text = line.trim();
  if (text === "") continue;
  const exclusion = text.startsWith("!");
  if (exclusion) text = text.slice(1).trim();
  text = posix.normalize(text).replace(/(.)\/+$/, "$1");
  if (text.length > 1 && text.startsWith("/")) text = text.slice(1);
  if (/[[\]\\]/.test(text)) throw new Error(`.dockerignore: "${line}": character classes and escapes are not replayed`);
  let source = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "*" && text[i + 1] === "*") {
      i++;
      if (text[i + 1] === "/") i++;
      source += i + 1 >= text.length ? ".*" : "(.*/)?";
    } else if (ch === "*") source += "[^/]*";
    else if (ch === "?") source += "[^/]";
    else source += ch.replace(/[.+^${}()|]/g, "\\$&");
  }
  patterns.push({ exclusion, regex: new RegExp(`^${source}$`) });
}
const excluded = (path) => {
  const parents = path.split("/").map((_, i, parts) => parts.slice(0, i + 1).join("/"));
  let result = false;
  for (const { exclusion, regex } of patterns) {
    if (parents.some((candidate) => regex.test(candidate))) result = !exclusion;
  }
  return result;
};

// What must never be sent to a Docker engine, whether or not it exists in this checkout.
const forbidden = (path) =>
  /^(node_modules|data|\.tools|dist|\.git|coverage|scratch)(\/|$)/.test(path) ||
  /(^|\/)node_modules(\/|$)/.test(path) ||
  /(^|\/)(\.env|[^/]*\.log|[^/]*\.cpuprofile)$/.test(path);
const probes = ["node_modules/pg/package.json", "data/PG_VERSION", "data/base/1/1", ".tools/node_modules/.bin/node",
  "dist/src/cli/main.js", ".git/HEAD", ".env", "server.log", "src/x/node_modules/y.js", "coverage/index.html"];
const leaking = probes.filter((probe) => !excluded(probe));

const included = [];
const walk = (dir) => {
  for (const entry of readdirSync(join(repo, dir), { withFileTypes: true })) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) walk(path);
    else if (!excluded(path)) included.push(path);
  }
};
walk("");
const present = included.filter(forbidden);
if (leaking.length > 0 || present.length > 0) {
  console.error("replayed Dockerfile: the build context .dockerignore leaves would contain:");
  for (const path of [...present.slice(0, 20), ...leaking]) console.error(`  ${path}`);
  process.exit(1);
}
for (const path of included) {
  mkdirSync(dirname(join(context, path)), { recursive: true });
  copyFileSync(join(repo, path), join(context, path));
}
const top = [...new Set(included.map((path) => path.split("/")[0]))].sort();
console.log(`replayed Dockerfile: build context of ${included.length} files: ${top.join(" ")}`);
' "$repo" "$context"

# --- 2. The image --------------------------------------------------------------------------------
# The base image's user table: the host's, with node as the official node images define it.
image_users="$root/.users"
mkdir -p "$image_users"
{ grep -v '^node:' /etc/passwd; echo 'node:x:1000:1000::/home/node:/bin/bash'; } >"$image_users/passwd"
{ grep -v '^node:' /etc/group; echo 'node:x:1000:'; } >"$image_users/group"
as_in_image() { # $1 = directory, $2 = shell command
  unshare --mount bash -c 'mount --bind "$0/passwd" /etc/passwd && mount --bind "$0/group" /etc/group &&
    cd "$1" && exec bash -c "$2"' "$image_users" "$1" "$2"
}
image_path() { case "$1" in /*) echo "$root$1" ;; *) echo "$workdir/$1" ;; esac; }

workdir="$root"
user="root"
healthcheck=""
cmd=()
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    *\\) echo "replay-dockerfile: continuation lines are not replayed: $line"; exit 1 ;;
    '' | \#*) ;;
    FROM\ node:*)
      major="$(echo "${line#FROM node:}" | sed -E 's/^([0-9]+).*/\1/')"
      actual="$(node -p 'process.versions.node.split(".")[0]')"
      [ "$actual" = "$major" ] || { echo "replay-dockerfile: $line needs Node $major on PATH, found $(node --version)"; exit 1; }
      # The image's node, where the official images have it (reachable for the image's user).
      mkdir -p "$root/usr/local/bin"
      cp "$(command -v node)" "$root/usr/local/bin/node"
      export PATH="$root/usr/local/bin:$PATH" ;;
    WORKDIR\ *) workdir="$root${line#WORKDIR }"; mkdir -p "$workdir" ;;
    COPY\ *)
      read -r -a parts <<<"${line#COPY }"
      dest="${parts[${#parts[@]}-1]}"
      for src in "${parts[@]:0:${#parts[@]}-1}"; do
        case "$src" in --*) echo "replay-dockerfile: COPY options are not replayed: $line"; exit 1 ;; esac
        cp -r "$context/$src" "$workdir/$dest"
      done ;;
    RUN\ *) as_in_image "$workdir" "${line#RUN }" ;;
    ENV\ *) for assignment in ${line#ENV }; do export "${assignment?}"; done ;;
    USER\ *) user="${line#USER }" ;;
    EXPOSE\ * | VOLUME\ *) ;; # nothing to replay
    HEALTHCHECK\ *) healthcheck="${line#*CMD }" ;;
    CMD\ *) mapfile -t cmd < <(node -p "JSON.parse(process.argv[1]).join('\\n')" "${line#CMD }") ;;
    *) echo "replay-dockerfile: not replayed: $line"; exit 1 ;;
  esac
done <"$repo/Dockerfile"
if [ "${#cmd[@]}" = 0 ] || [ -z "$healthcheck" ]; then
  echo "replay-dockerfile: the Dockerfile needs a CMD (JSON form) and a HEALTHCHECK"
  exit 1
fi

ids="$(awk -F: -v name="$user" '$1 == name { print $3 ":" $4 }' "$image_users/passwd")"
[ -n "$ids" ] || { echo "replay-dockerfile: USER $user is not in the base image"; exit 1; }
[ "$ids" != "0:0" ] || { echo "replay-dockerfile: the image must not run as root (USER)"; exit 1; }
data_dir="$(image_path "${OSR_DATA_DIR:-./data}")"
[ -d "$data_dir" ] || { echo "replay-dockerfile: the data directory ${OSR_DATA_DIR:-./data} is not in the image"; exit 1; }
[ "$(stat -c %u:%g "$data_dir")" = "$ids" ] ||
  { echo "replay-dockerfile: ${OSR_DATA_DIR:-./data} belongs to $(stat -c %u:%g "$data_dir"), not to USER $user ($ids)"; exit 1; }
mkdir -p "$root/home/$user" && chown "$ids" "$root/home/$user"

# --- 3. The container, twice ---------------------------------------------------------------------
answers_ready() {
  node -e "fetch('http://127.0.0.1:$1/ready').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"
}
run_container() { # $1 = what this run is
  local port=$((20000 + RANDOM % 20000)) log="$root/server-$RANDOM.log"
  (cd "$workdir" && PORT="$port" HOST=127.0.0.1 HOME="$root/home/$user" OSR_DATA_DIR="$data_dir" \
    exec setpriv --reuid="${ids%:*}" --regid="${ids#*:}" --clear-groups "${cmd[@]}") >"$log" 2>&1 &
  server=$!
  for _ in $(seq 1 60); do
    if (cd "$workdir" && bash -c "${healthcheck//8080/$port}") && answers_ready "$port"; then
      echo "replayed Dockerfile: CMD '${cmd[*]}' as $user ($ids), $1: healthy and ready on port $port"
      stop_server
      return 0
    fi
    kill -0 "$server" 2>/dev/null || break
    sleep 1
  done
  echo "replayed Dockerfile: CMD '${cmd[*]}', $1: not healthy and ready within 60 s"
  cat "$log"
  exit 1
}

DATABASE_URL="$database_url" run_container "with DATABASE_URL"
unset DATABASE_URL
run_container "without DATABASE_URL (embedded database in ${OSR_DATA_DIR:-./data})"
[ "$(stat -c %u:%g "$data_dir/PG_VERSION" 2>/dev/null)" = "$ids" ] ||
  { echo "replay-dockerfile: the embedded database was not written to ${OSR_DATA_DIR:-./data} by $user"; exit 1; }
echo "replayed Dockerfile: the embedded database in ${OSR_DATA_DIR:-./data} was written by $user"
