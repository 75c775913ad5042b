#!/usr/bin/env python3
"""setup: gather a useful minimal set of facts about the host.

Takes (JSON on stdin): `gather_subset` (list; `min` or `all`, default `all`), `filter`
(a glob on fact names). Gives (JSON on stdout): `{"ansible_facts": {...}, "changed":
false}` with ansible-core's fact names (`ansible_hostname`, `ansible_distribution`,
...). Raises: nothing; a fact that cannot be read is left out.

Stdlib only: it runs on the host, under any Python 3 the host has.
"""

import configparser
import datetime
import fnmatch
import getpass
import glob
import json
import os
import platform
import socket
import stat
import subprocess
import sys
import time

OS_FAMILY = {
    "debian": "Debian", "ubuntu": "Debian", "rhel": "RedHat", "centos": "RedHat",
    "fedora": "RedHat", "rocky": "RedHat", "almalinux": "RedHat", "alpine": "Alpine",
    "arch": "Archlinux", "opensuse": "Suse", "sles": "Suse",
}


def os_release():
    """Key/values of /etc/os-release (empty when missing)."""
    found = {}
    try:
        with open("/etc/os-release", encoding="utf-8") as handle:
            for line in handle:
                key, sep, value = line.strip().partition("=")
                if sep:
                    found[key] = value.strip('"')
    except OSError:
        pass
    return found


def distribution():
    release = os_release()
    ident = release.get("ID", platform.system().lower())
    version = release.get("VERSION_ID", platform.release())
    family = OS_FAMILY.get(ident, release.get("ID_LIKE", ident).split(" ")[0].capitalize())
    if platform.system() == "Darwin":
        family, ident, version = "Darwin", "macosx", platform.mac_ver()[0]
    return {
        "ansible_distribution": release.get("NAME", ident).split(" ")[0] if ident != "macosx"
        else "MacOSX",
        "ansible_distribution_version": version,
        "ansible_distribution_major_version": version.split(".")[0],
        "ansible_distribution_release": release.get("VERSION_CODENAME", ""),
        "ansible_os_family": family,
    }


def memory():
    facts = {}
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            info = {line.split(":")[0]: int(line.split()[1]) for line in handle if ":" in line}
        facts["ansible_memtotal_mb"] = info.get("MemTotal", 0) // 1024
        facts["ansible_memfree_mb"] = info.get("MemFree", 0) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return facts


def date_time():
    now = datetime.datetime.now()
    utc = datetime.datetime.now(datetime.timezone.utc)
    return {
        "year": now.strftime("%Y"), "month": now.strftime("%m"), "day": now.strftime("%d"),
        "hour": now.strftime("%H"), "minute": now.strftime("%M"),
        "second": now.strftime("%S"), "epoch": str(int(time.time())),
        "date": now.strftime("%Y-%m-%d"), "time": now.strftime("%H:%M:%S"),
        "iso8601": utc.strftime("%Y-%m-%dT%H:%M:%SZ"), "tz": time.strftime("%Z"),
        "weekday": now.strftime("%A"),
    }


def minimal():
    hostname = socket.gethostname()
    facts = {
        "ansible_hostname": hostname.split(".")[0],
        "ansible_nodename": hostname,
        "ansible_fqdn": socket.getfqdn(),
        "ansible_domain": ".".join(socket.getfqdn().split(".")[1:]),
        "ansible_system": platform.system(),
        "ansible_kernel": platform.release(),
        "ansible_architecture": platform.machine(),
        "ansible_machine": platform.machine(),
        "ansible_python_version": platform.python_version(),
        "ansible_python": {"executable": sys.executable,
                           "version": {"major": sys.version_info[0],
                                       "minor": sys.version_info[1],
                                       "micro": sys.version_info[2]}},
        "ansible_env": dict(os.environ),
        "ansible_date_time": date_time(),
        "ansible_user_id": getpass.getuser(),
        "ansible_user_dir": os.path.expanduser("~"),
        "ansible_pkg_mgr": "unknown",
        "ansible_service_mgr": "unknown",
    }
    facts.update(distribution())
    return facts


def gather(subset):
    facts = minimal()
    if "min" not in subset or "all" in subset:
        facts["ansible_processor_count"] = os.cpu_count() or 1
        facts["ansible_processor_vcpus"] = os.cpu_count() or 1
        facts.update(memory())
    return facts


def _parse_fact(path, text, warnings):
    """A fact file's text as JSON, else as INI sections, else an error string."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    parser = configparser.ConfigParser()
    try:
        parser.read_string(text)
    except configparser.Error:
        message = "error loading facts as JSON or ini - please check content: %s" % path
        warnings.append(message)
        return message
    fact = {}
    for section in parser.sections():
        fact[section] = {}
        for option in parser.options(section):
            try:
                fact[section][option] = parser.get(section, option)
            except configparser.Error as exc:
                message = "error loading facts as ini - please check content: %s (%s)" % (
                    path, exc)
                warnings.append(message)
                return message
    return fact


def _read_fact(path, warnings):
    """One *.fact file: run it when executable, else read it; errors become its value."""
    try:
        executable = os.stat(path).st_mode & stat.S_IXUSR
    except OSError as exc:
        message = "Could not stat fact (%s): %s" % (path, exc)
        warnings.append(message)
        return message
    if executable:
        try:
            proc = subprocess.run([path], capture_output=True, check=False)
        except OSError as exc:
            message = "Could not execute fact script (%s): %s" % (path, exc)
            warnings.append(message)
            return message
        if proc.returncode != 0:
            message = "Failure executing fact script (%s), rc: %s, err: %s" % (
                path, proc.returncode, proc.stderr.decode("utf-8", "replace"))
            warnings.append(message)
            return message
        data = proc.stdout
    else:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            data = b""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        message = 'error loading fact - output of running "%s" was not utf-8' % path
        warnings.append(message)
        return message
    return _parse_fact(path, text, warnings)


def local_facts(fact_path, warnings):
    """`ansible_local`: each FACT_PATH/*.fact under its name, as Ansible reads them."""
    if not fact_path or not os.path.exists(fact_path):
        return {}
    found = {}
    for path in sorted(glob.glob(os.path.join(fact_path, "*.fact"))):
        found[os.path.basename(path)[:-len(".fact")]] = _read_fact(path, warnings)
    return {"ansible_local": found}


def main():
    args = json.load(sys.stdin)
    subset = args.get("gather_subset") or ["all"]
    if isinstance(subset, str):
        subset = [part.strip() for part in subset.split(",")]
    facts = gather(subset)
    warnings = []
    facts.update(local_facts(args.get("fact_path") or "/etc/ansible/facts.d", warnings))
    facts["gather_subset"] = subset
    facts["module_setup"] = True
    pattern = args.get("filter")
    if pattern:  # applies to gather_subset and module_setup too, as in Ansible
        patterns = pattern if isinstance(pattern, list) else [pattern]
        facts = {k: v for k, v in facts.items() if any(fnmatch.fnmatch(k, p) for p in patterns)}
    result = {"ansible_facts": facts, "changed": False}
    if warnings:
        result["warnings"] = warnings
    print(json.dumps(result))


if __name__ == "__main__":
    main()
