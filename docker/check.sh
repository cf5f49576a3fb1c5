#!/usr/bin/env bash
# Validates docker/ without a Docker engine: what can be checked on a plain
# Debian machine, and nothing more. Exits 0 when every check passes, 1
# otherwise, printing one line per failed check.
#
#   docker/check.sh [path/to/built/dealstream]
#
# - compose.yaml and prometheus.yml parse as YAML (python3-yaml);
# - the compose file has what the deployment needs: three KRaft brokers of
#   the official apache/kafka image, a schema registry, the topics job with
#   compact cleanup for deals.canonical and <app>-state, two processors in one
#   group, the samples job, Prometheus scraping the processors;
# - every image is pinned to a version tag (no "latest", no bare name);
# - every local path it names exists (build context, Dockerfile, bind mounts);
# - hadolint-like rules for the Dockerfile: pinned FROM tags, a named build
#   stage, apt-get install -y --no-install-recommends, apt lists removed in
#   the same RUN, no apt-get upgrade, no ADD of URLs, COPY sources exist,
#   a non-root USER and a HEALTHCHECK in the final stage;
# - with a built binary: every shared library it links (NEEDED) comes from a
#   package the runtime stage installs (checked with dpkg -S on this machine),
#   and with apt-cache: every package named exists in Debian.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-}

if ! python3 -c 'import yaml' 2>/dev/null; then
    echo "docker/check.sh: python3-yaml is missing (apt-get install python3-yaml)" >&2
    exit 1
fi

exec python3 - "$here" "$bin" <<'PY'
import os, re, shlex, shutil, subprocess, sys
import yaml

here, binary = sys.argv[1], sys.argv[2]
root = os.path.dirname(here)
failures = []

def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)

def ok(msg):
    print("ok:   " + msg)

def check(cond, msg):
    (ok if cond else fail)(msg)
    return cond

# ---- YAML -------------------------------------------------------------------
docs = {}
for name in ("compose.yaml", "prometheus.yml"):
    path = os.path.join(here, name)
    try:
        with open(path) as f:
            docs[name] = yaml.safe_load(f)
        ok(f"{name} parses as YAML")
    except Exception as e:  # noqa: BLE001 - any parse error is the finding
        fail(f"{name}: {e}")
if failures:
    sys.exit(1)

compose = docs["compose.yaml"]
services = compose.get("services", {})

def pinned(image):
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return False
    tag = last.split(":", 1)[1]
    return tag != "latest" and re.search(r"\d", tag) is not None

# ---- images -----------------------------------------------------------------
for name, svc in services.items():
    img = svc.get("image")
    if "build" in svc:
        continue  # built locally; its FROM lines are checked below
    check(img is not None and pinned(img), f"service {name}: image {img!r} is pinned to a version")

# ---- the deployment's parts ---------------------------------------------------
brokers = [n for n, s in services.items() if str(s.get("image", "")).startswith("apache/kafka:")
           and "KAFKA_NODE_ID" in (s.get("environment") or {})]
check(len(brokers) == 3, f"three Kafka brokers of the official apache/kafka image ({', '.join(brokers)})")
voters = set()
for b in brokers:
    env = services[b]["environment"]
    check("controller" in str(env.get("KAFKA_PROCESS_ROLES", "")) and "CLUSTER_ID" in env,
          f"{b}: KRaft mode (process.roles with controller, CLUSTER_ID)")
    voters.add(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS"))
check(len(voters) == 1 and None not in voters and all(f"@{b}:" in list(voters)[0] for b in brokers),
      "every broker is in the one controller quorum")
ids = {str(services[b]["environment"].get("KAFKA_NODE_ID")) for b in brokers}
check(len(ids) == 3, "broker node ids are distinct")

check(any("schema-registry" in str(s.get("image", "")) or "apicurio" in str(s.get("image", ""))
          for s in services.values()), "a schema registry service")

topics = services.get("topics")
script_text = ""
if check(topics is not None, "a one-shot topics service"):
    for v in topics.get("volumes", []):
        src = v.split(":", 1)[0]
        if src.endswith(".sh"):
            with open(os.path.join(here, src)) as f:
                script_text = f.read()
    check(topics.get("restart") == "no", "topics job does not restart")
for t in ("articles", "deals", "$APP-mentions", "articles.dlq", "deals.dlq"):
    check(re.search(r'^create "?' + re.escape(t) + r'"? ', script_text, re.M) is not None, f"topic {t} is created")
for t in ("deals.canonical", "$APP-state"):
    check(re.search(r'^create "?' + re.escape(t) + r'"? .*cleanup\.policy=compact', script_text, re.M) is not None,
          f"topic {t} is created with cleanup.policy=compact")
if script_text:
    r = subprocess.run(["bash", "-n", os.path.join(here, "create-topics.sh")], capture_output=True, text=True)
    check(r.returncode == 0, "create-topics.sh is valid bash " + r.stderr.strip())

def env_of(svc):
    e = svc.get("environment") or {}
    return e if isinstance(e, dict) else dict(x.split("=", 1) for x in e)

procs = [n for n, s in services.items() if s.get("command") == ["run"] and "build" in s]
check(len(procs) == 2, f"two dealstream processors ({', '.join(procs)})")
groups = {env_of(services[p]).get("DEALSTREAM_GROUP_ID") or env_of(services[p]).get("DEALSTREAM_APP_ID")
          for p in procs}
check(len(groups) == 1 and None not in groups, f"the processors share one consumer group ({groups})")
for p in procs:
    dep = services[p].get("depends_on") or {}
    check(isinstance(dep, dict) and dep.get("topics", {}).get("condition") == "service_completed_successfully",
          f"{p} starts after the topics exist")
samples = services.get("samples")
check(samples is not None and "produce" in " ".join(samples.get("entrypoint", []) + samples.get("command", [])),
      "a one-shot samples job runs dealstream produce")

prom = [n for n, s in services.items() if str(s.get("image", "")).startswith("prom/prometheus:")]
check(len(prom) == 1, "a Prometheus service")
targets = []
for sc in docs["prometheus.yml"].get("scrape_configs", []):
    if sc.get("metrics_path", "/metrics") == "/metrics":
        for st in sc.get("static_configs", []):
            targets += st.get("targets", [])
for p in procs:
    check(any(t.split(":")[0] == p for t in targets), f"Prometheus scrapes {p}/metrics")
for t in targets:
    host = t.split(":")[0]
    check(host in services or host == "localhost", f"scrape target {t} is a compose service")

# ---- what Docker and Compose do with it -----------------------------------------
check("name" not in compose, "no top-level name: (docker-compose 1.29 refuses it)")
with open(os.path.join(here, "compose.yaml")) as f:
    check(re.search(r"Compose v2|docker-compose 1\.29", f.read()) is not None,
          "compose.yaml states the Compose version it needs")
def seconds(v):
    m = re.fullmatch(r"(\d+)(ms|s|m)?", str(v or ""))
    return None if not m else int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, None: 1}[m.group(2)]
for p in procs:
    g = seconds(services[p].get("stop_grace_period"))
    check(g is not None and g >= 20, f"{p}: stop_grace_period of at least 20 s for its ordered shutdown ({g})")
for name, svc in services.items():
    if "build" in svc and name not in procs:
        hc = svc.get("healthcheck") or {}
        check(hc.get("disable") is True, f"{name}: the image's HEALTHCHECK (run's /healthz) is disabled for this job")
rules = docs["prometheus.yml"].get("rule_files") or []
check(bool(rules), "prometheus.yml loads alert rules (rule_files)")
prom_svc = services.get(prom[0]) if prom else {}
mounts = {v.split(":")[1]: v.split(":")[0] for v in (prom_svc.get("volumes") or []) if isinstance(v, str)}
alert_names = set()
for r in rules:
    src = mounts.get(r)
    if not check(src is not None, f"rule file {r} is mounted into Prometheus"):
        continue
    try:
        with open(os.path.normpath(os.path.join(here, src))) as f:
            doc = yaml.safe_load(f)
        ok(f"{src} parses as YAML")
    except Exception as e:  # noqa: BLE001
        fail(f"{src}: {e}")
        continue
    for g in doc.get("groups", []):
        for rule in g.get("rules", []):
            check("alert" in rule and "expr" in rule, f"{src}: rule {rule.get('alert')} has alert and expr")
            alert_names.add(rule.get("alert"))
with open(os.path.join(root, "README.md")) as f:
    readme = f.read()
for a in sorted(set(re.findall(r"^- alert: (\S+)", readme, re.M))):
    check(a in alert_names, f"the README's alert {a} is in the loaded rules")

# ---- local paths ---------------------------------------------------------------
for name, svc in services.items():
    b = svc.get("build")
    if b:
        ctx = os.path.normpath(os.path.join(here, b.get("context", ".") if isinstance(b, dict) else b))
        check(os.path.isdir(ctx), f"service {name}: build context {ctx} exists")
        if isinstance(b, dict) and "dockerfile" in b:
            check(os.path.isfile(os.path.join(ctx, b["dockerfile"])), f"service {name}: {b['dockerfile']} exists")
    for v in svc.get("volumes", []) or []:
        src = v.split(":", 1)[0] if isinstance(v, str) else v.get("source", "")
        if src.startswith(".") or src.startswith("/"):
            check(os.path.exists(os.path.normpath(os.path.join(here, src))), f"service {name}: mount source {src} exists")
        else:
            check(src in (compose.get("volumes") or {}), f"service {name}: named volume {src} is declared")
    for d in (svc.get("depends_on") or []):
        check(d in services, f"service {name}: depends on existing service {d}")

# ---- Dockerfile ------------------------------------------------------------------
with open(os.path.join(here, "Dockerfile")) as f:
    raw = f.read()
# join continuation lines, drop comments
lines, cur = [], ""
for line in raw.splitlines():
    s = line.strip()
    if not cur and (not s or s.startswith("#")):
        continue
    if s.startswith("#"):
        continue
    if s.endswith("\\"):
        cur += s[:-1] + " "
        continue
    lines.append(cur + s)
    cur = ""
instr = [(l.split(None, 1)[0].upper(), l.split(None, 1)[1] if " " in l else "") for l in lines]

stages = []  # each: dict(name, from, instrs)
for op, arg in instr:
    if op == "FROM":
        m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", arg, re.I)
        stages.append({"image": m.group(1), "name": m.group(2), "ins": []})
    elif stages:
        stages[-1]["ins"].append((op, arg))
check(len(stages) >= 2, f"Dockerfile is multi-stage ({len(stages)} stages)")
for st in stages:
    check(pinned(st["image"]), f"FROM {st['image']} is pinned (no latest, a version tag)")
    check(st["image"].startswith("debian:12"), f"FROM {st['image']} is Debian 12")
check(stages[0]["name"] is not None, "the build stage is named")
stage_names = {s["name"] for s in stages if s["name"]}

apt_pkgs = {}  # stage name -> packages
for st in stages:
    pk = []
    for op, arg in st["ins"]:
        if op == "RUN":
            for cmd in re.split(r"&&|;", arg):
                words = shlex.split(cmd)
                if words[:2] == ["apt-get", "install"]:
                    check("--no-install-recommends" in words, f"apt-get install uses --no-install-recommends ({st['name']})")
                    check("-y" in words or "--yes" in words, f"apt-get install is non-interactive ({st['name']})")
                    pk += [w for w in words[2:] if not w.startswith("-")]
                if words[:2] in (["apt-get", "upgrade"], ["apt-get", "dist-upgrade"]):
                    fail(f"apt-get upgrade in {st['name']}: pin the base image instead")
            if "apt-get update" in arg:
                check("rm -rf /var/lib/apt/lists/*" in arg, f"apt lists removed in the RUN that updates them ({st['name']})")
                check("apt-get install" in arg, f"apt-get update and install in one RUN ({st['name']})")
        if op == "ADD":
            check(not re.search(r"https?://", arg), f"ADD without URLs: {arg}")
        if op == "COPY" and "--from=" not in arg:
            words = shlex.split(arg)
            for src in words[:-1]:
                if src.startswith("--"):
                    continue
                check(os.path.exists(os.path.join(root, src)), f"COPY source {src} exists in the build context")
        if op == "COPY" and "--from=" in arg:
            frm = re.search(r"--from=(\S+)", arg).group(1)
            check(frm in stage_names, f"COPY --from={frm} names a stage")
    apt_pkgs[st["name"] or st["image"]] = pk

final = stages[-1]
users = [arg for op, arg in final["ins"] if op == "USER"]
check(bool(users) and users[-1].split(":")[0] not in ("root", "0"), f"final stage runs as a non-root USER ({users[-1] if users else 'none'})")
check(any(op == "HEALTHCHECK" for op, _ in final["ins"]), "final stage has a HEALTHCHECK")
check(any(op in ("ENTRYPOINT", "CMD") for op, _ in final["ins"]), "final stage has an ENTRYPOINT or CMD")
runtime_pkgs = apt_pkgs[final["name"] or final["image"]]
check(not any(p.endswith("-dev") for p in runtime_pkgs), "runtime stage installs no -dev packages")

# the build stage copies every source directory the build needs
with open(os.path.join(root, "CMakeLists.txt")) as f:
    cm = f.read()
needed_dirs = set(re.findall(r"\b([a-z]+)/\*\.c\b", cm)) | set(re.findall(r"add_subdirectory\((\w+)\)", cm))
needed_dirs |= set(re.findall(r"add_executable\(\w+ (\w+)/", cm))
copied = set()
for op, arg in stages[0]["ins"]:
    if op == "COPY" and "--from=" not in arg:
        copied |= {w.rstrip("/") for w in shlex.split(arg)[:-1] if not w.startswith("--")}
missing = sorted(d for d in needed_dirs if d not in copied and d != "fuzz")
check(not missing, f"the build stage copies every source directory CMakeLists.txt builds from (missing: {missing})")

# build.sh installs the same -dev packages the build stage does
with open(os.path.join(root, "build.sh")) as f:
    bs = f.read()
m = re.search(r"PACKAGES=\((.*?)\)", bs, re.S)
build_sh_dev = {p for p in m.group(1).split() if p.endswith("-dev")} if m else set()
build_stage_dev = {p for p in apt_pkgs[stages[0]["name"] or stages[0]["image"]] if p.endswith("-dev")}
missing = sorted(build_sh_dev - build_stage_dev)
check(not missing, f"build stage installs build.sh's -dev packages (missing: {missing})")

# ---- packages exist in Debian, runtime covers the binary ---------------------------
if shutil.which("apt-cache"):
    allp = sorted(set(p for ps in apt_pkgs.values() for p in ps))
    r = subprocess.run(["apt-cache", "show", "--no-all-versions", *allp], capture_output=True, text=True)
    known = set(re.findall(r"^Package: (\S+)", r.stdout, re.M))
    for p in allp:
        check(p in known, f"Debian package {p} exists (apt-cache)")
else:
    print("skip: apt-cache not found; package names not checked")

if binary and os.path.isfile(binary) and shutil.which("objdump") and shutil.which("dpkg"):
    r = subprocess.run(["objdump", "-p", binary], capture_output=True, text=True)
    needed = re.findall(r"^\s*NEEDED\s+(\S+)", r.stdout, re.M)
    for lib in needed:
        if re.match(r"lib(c|m|pthread|dl|rt)\.so", lib) or lib.startswith("ld-linux"):
            continue  # libc6, in every image
        if re.match(r"lib(asan|ubsan|lsan|tsan)\.so", lib):
            print(f"skip: {lib}: a sanitizer build; the image builds without sanitizers")
            continue
        owner = None
        for d in ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"):
            p = os.path.join(d, lib)
            if os.path.exists(p):
                q = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
                if q.returncode == 0:
                    owner = q.stdout.split(":", 1)[0]
                    break
        check(owner is not None and owner in runtime_pkgs,
              f"{lib} (NEEDED by dealstream) comes from {owner}, installed by the runtime stage")
elif binary:
    print(f"skip: {binary} not found, or no objdump/dpkg; runtime libraries not checked")

print(f"\n{len(failures)} failed check(s)" if failures else "\nall checks passed")
sys.exit(1 if failures else 0)
PY
