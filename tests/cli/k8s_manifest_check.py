#!/usr/bin/env python3
"""Checks deploy/k8s/sweep-job.yaml offline, as far as no cluster is needed.

No cluster runs here and kubectl cannot validate without one (even
`kubectl create --dry-run=client` asks the API server for its resources), so
this reads the manifest with PyYAML (Debian: python3-yaml) and checks what a
sweep depends on: an Indexed Job whose completions equal the shard count its
command passes to --shard through JOB_COMPLETION_INDEX, each shard writing its
own store on a ReadWriteMany claim that the merge Job mounts at the same path,
and a merge Job that runs `faultline merge` over every shard.

With --run FAULTLINE, it then runs the manifest's own shell commands here: the
shard command once per completion index (as the Job controller would, with
JOB_COMPLETION_INDEX set), then the merge command, with the volume's mount
path moved to a temporary folder, `faultline` on the PATH being FAULTLINE, and
SEEDS and OPTIONS replaced by --seeds and --options (a small sweep). It prints
the merge's output and exits with the merge's exit code.

Usage: k8s_manifest_check.py MANIFEST [--run FAULTLINE --seeds A..B --options '...']
Exit code: 0 the manifest holds (and the run passed), 1 a problem (each printed).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import yaml


def env_of(container):
    return {item["name"]: str(item.get("value", "")) for item in container.get("env", [])}


def script_of(container):
    command = container.get("command", [])
    args = container.get("args", [])
    if command[:2] != ["sh", "-c"] or len(args) != 1:
        return None
    return args[0]


def check(documents):
    problems = []
    claims = {d["metadata"]["name"]: d for d in documents if d.get("kind") == "PersistentVolumeClaim"}
    jobs = [d for d in documents if d.get("kind") == "Job"]
    for document in documents:
        if document.get("kind") == "Job" and document.get("apiVersion") != "batch/v1":
            problems.append("a Job must be batch/v1")
    indexed = [j for j in jobs if j["spec"].get("completionMode") == "Indexed"]
    others = [j for j in jobs if j["spec"].get("completionMode") != "Indexed"]
    if len(indexed) != 1 or len(others) != 1:
        return ["expected one Indexed Job (the shards) and one other Job (the merge)"], None, None
    sweep, merge = indexed[0], others[0]
    found = {}
    for name, job in (("sweep", sweep), ("merge", merge)):
        pod = job["spec"]["template"]["spec"]
        if pod.get("restartPolicy") not in ("Never", "OnFailure"):
            problems.append(f"{name}: a Job's pods restart Never or OnFailure")
        containers = pod.get("containers", [])
        if len(containers) != 1:
            problems.append(f"{name}: expected one container")
            continue
        container = containers[0]
        script = script_of(container)
        if script is None:
            problems.append(f"{name}: expected command [sh, -c] and one script in args")
            continue
        mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        claim_mounts = []
        for volume_name, path in mounts.items():
            volume = volumes.get(volume_name, {})
            claim = volume.get("persistentVolumeClaim", {}).get("claimName")
            if claim is None:
                continue
            if claim not in claims:
                problems.append(f"{name}: claim {claim} is not in the manifest")
            elif "ReadWriteMany" not in claims[claim]["spec"].get("accessModes", []):
                problems.append(f"{name}: claim {claim} must be ReadWriteMany (every shard pod writes to it)")
            claim_mounts.append((claim, path))
        if len(claim_mounts) != 1:
            problems.append(f"{name}: expected one shared volume mounted from a claim")
            continue
        found[name] = (container, script, claim_mounts[0])
    if len(found) != 2:
        return problems, None, None
    sweep_container, sweep_script, sweep_mount = found["sweep"]
    merge_container, merge_script, merge_mount = found["merge"]
    if sweep_mount != merge_mount:
        problems.append(f"the merge mounts {merge_mount}, the shards {sweep_mount}: not the same folder")
    sweep_env = env_of(sweep_container)
    shards = sweep_env.get("SHARDS", "")
    if not shards.isdigit() or int(shards) < 1:
        problems.append("sweep: SHARDS must be a whole number of shards")
    else:
        if sweep["spec"].get("completions") != int(shards):
            problems.append(f"sweep: completions {sweep['spec'].get('completions')} is not SHARDS {shards}")
        if not 1 <= sweep["spec"].get("parallelism", 1) <= int(shards):
            problems.append("sweep: parallelism must be between 1 and SHARDS")
    if env_of(merge_container).get("SHARDS") != shards:
        problems.append("merge: SHARDS differs from the sweep's")
    if '--shard "$JOB_COMPLETION_INDEX/$SHARDS"' not in sweep_script:
        problems.append('sweep: the shard command must pass --shard "$JOB_COMPLETION_INDEX/$SHARDS"')
    store = f'--store "{sweep_mount[1]}/shard-$JOB_COMPLETION_INDEX"'
    if store not in sweep_script:
        problems.append(f"sweep: each shard must write its own store on the shared volume ({store})")
    if "faultline test" not in sweep_script or "faultline merge" not in merge_script:
        problems.append("the shards must run faultline test and the merge faultline merge")
    if f"{merge_mount[1]}/shard-$i" not in merge_script:
        problems.append("merge: the merge must name every shard's store")
    return problems, found, shards


def run(found, shards, faultline, seeds, options):
    with tempfile.TemporaryDirectory(prefix="faultline-k8s-") as folder:
        return run_in(folder, found, shards, faultline, seeds, options)


def run_in(folder, found, shards, faultline, seeds, options):
    bin_dir = os.path.join(folder, "bin")
    os.makedirs(bin_dir)
    os.symlink(os.path.abspath(faultline), os.path.join(bin_dir, "faultline"))
    volume = os.path.join(folder, "volume")
    os.makedirs(volume)

    def environment(container):
        env = dict(os.environ)
        env.update(env_of(container))
        env["PATH"] = bin_dir + os.pathsep + env["PATH"]
        env["SEEDS"] = seeds
        env["OPTIONS"] = options
        env["WAIT_SECONDS"] = "0"
        return env

    container, script, (_, mount) = found["sweep"]
    for index in range(int(shards)):
        env = environment(container)
        env["JOB_COMPLETION_INDEX"] = str(index)
        done = subprocess.run(["sh", "-c", script.replace(mount, volume)], env=env, cwd=folder,
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"shard {index} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
            return 1
    container, script, (_, mount) = found["merge"]
    done = subprocess.run(["sh", "-c", script.replace(mount, volume)], env=environment(container), cwd=folder,
                          capture_output=True, text=True)
    print(done.stdout + done.stderr, end="")
    return done.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifest")
    parser.add_argument("--run", metavar="FAULTLINE")
    parser.add_argument("--seeds", default="1..32")
    parser.add_argument("--options", default="--system echo")
    arguments = parser.parse_args()
    with open(arguments.manifest) as file:
        documents = [d for d in yaml.safe_load_all(file) if d is not None]
    problems, found, shards = check(documents)
    for problem in problems:
        print(problem)
    if problems:
        return 1
    if arguments.run:
        return run(found, shards, arguments.run, arguments.seeds, arguments.options)
    print(f"manifest holds: {shards} shards")
    return 0


if __name__ == "__main__":
    sys.exit(main())
