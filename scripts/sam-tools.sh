#!/usr/bin/env bash
# AWS SAM CLI, kept out of the project's virtualenv.
#
# aws-sam-cli pins its own (older) boto3 and pydantic, so it must never share a venv with the
# project. This script installs it once, with uv, into the repo-local, git-ignored .tools/ folder
# (cfn-lint comes with it) and then runs one of:
#
#   scripts/sam-tools.sh install          just make sure sam is installed
#   scripts/sam-tools.sh validate [ARGS]  sam validate --lint    (offline; cfn-lint over template.yaml)
#   scripts/sam-tools.sh build [ARGS]     sam build              (no container: needs python3.13 on PATH)
#   scripts/sam-tools.sh sam ARGS...      any sam command, e.g. `sam deploy --config-env prod`
#
# Environment: SAM_CLI_TELEMETRY defaults to 0. `validate --lint` needs neither an account nor a
# region; deploy/logs use the region of your AWS config (or --region).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="${repo_root}/.tools"
sam_bin="${tools_dir}/bin/sam"
# The runtimes `sam build` may have to find without Docker; the layer and functions use python3.13.
pyenv_versions="${SAM_PYENV_VERSIONS:-3.11.7:3.12.1:3.13.0}"

export SAM_CLI_TELEMETRY="${SAM_CLI_TELEMETRY:-0}"

log() { printf '[sam-tools] %s\n' "$*" >&2; }

usage() {
    # The header comment, without its "# ".
    sed -n '2,/^set /p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
}

# Sets UV (an array: the command that runs uv), installing uv with pip when it is missing.
find_uv() {
    if command -v uv >/dev/null 2>&1 && uv --version >/dev/null 2>&1; then
        UV=(uv)
        return
    fi
    local py
    py="$(command -v python3 || command -v python)"
    if ! "${py}" -m uv --version >/dev/null 2>&1; then
        log "uv not found: installing it with pip …"
        "${py}" -m pip install --quiet uv >&2
    fi
    UV=("${py}" -m uv)
}

ensure_sam() {
    if [[ -x "${sam_bin}" ]] && "${sam_bin}" --version >/dev/null 2>&1; then
        return
    fi
    local start=${SECONDS}
    find_uv
    log "installing aws-sam-cli into .tools/ …"
    # --force replaces a half-installed tool left behind by an interrupted run.
    UV_TOOL_DIR="${tools_dir}/uv" UV_TOOL_BIN_DIR="${tools_dir}/bin" \
        "${UV[@]}" tool install --quiet --force aws-sam-cli >&2
    log "installed $("${sam_bin}" --version) in $((SECONDS - start)) s"
}

# Puts a python3.13 on PATH for `sam build` (it builds with the runtime's interpreter).
python_for_build() {
    if command -v pyenv >/dev/null 2>&1; then
        local root
        root="$(pyenv root)"
        export PYENV_VERSION="${pyenv_versions}"
        export PATH="${root}/shims:${PATH}"
    fi
    if ! python3.13 --version >/dev/null 2>&1; then
        log "python3.13 is not on PATH: install it (e.g. pyenv install 3.13) or use 'sam build --use-container'"
        exit 1
    fi
}

main() {
    [[ $# -ge 1 ]] || usage
    local cmd="$1"
    shift
    case "${cmd}" in
        install | validate | build | sam) ;;
        -h | --help | help) usage ;;
        *)
            log "unknown command: ${cmd}"
            usage
            ;;
    esac
    cd "${repo_root}"
    ensure_sam
    local start=${SECONDS} status=0
    case "${cmd}" in
        install)
            return 0
            ;;
        validate)
            log "sam validate --lint …"
            # --lint runs cfn-lint locally and needs no region (plain `sam validate` does).
            "${sam_bin}" validate --lint "$@" || status=$?
            # cfn-lint again with its informational rules too (IAM and security best practices
            # beyond the errors and warnings sam's --lint reports). It ships with aws-sam-cli.
            if [[ ${status} -eq 0 ]]; then
                log "cfn-lint --include-checks I …"
                "${tools_dir}/uv/aws-sam-cli/bin/cfn-lint" --include-checks I -- template.yaml || status=$?
            fi
            ;;
        build)
            if [[ " $* " != *" --use-container "* && " $* " != *" -u "* ]]; then
                python_for_build
            fi
            log "sam build …"
            "${sam_bin}" build "$@" || status=$?
            ;;
        sam)
            "${sam_bin}" "$@" || status=$?
            ;;
    esac
    log "${cmd} finished with status ${status} in $((SECONDS - start)) s"
    return "${status}"
}

main "$@"
