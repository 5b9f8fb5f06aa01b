"""The texts of command replies, and the marker that finds Cite's reply again."""

from __future__ import annotations

from bot.commands.parse import USAGE

REPLY_MARKER = "<!-- cite:reply:{comment_id} -->"

WORKING = "⏳ Working on it…"
HELP = "Cite's commands on pull requests:\n\n" + "\n".join(
    f"- `{usage}`" for usage in USAGE.values()
)
UNKNOWN = "❓ `{line}` is not a command I know.\n\n" + HELP
BAD_ARGUMENTS = "❓ `{line}`: {reason}. Usage: `{usage}`"
NO_PERMISSION = (
    "🚫 @{login}, commands need write, maintain or admin access to {repository}; "
    "your access is {access}. Ask a maintainer to run the command."
)
PERMISSION_FAILED = (
    "🚫 I could not check @{login}'s access to {repository} ({reason}), so I did "
    "nothing. Try the command again."
)
CLOSED = "🚫 This pull request is {state}; commands act on open pull requests."
NO_CONFIG = "🚫 There is no `.github/cite.yml` at {sha}, so there is nothing to deploy."
BAD_CONFIG = "🚫 `.github/cite.yml` at {sha} is invalid: {reason}"
ENVIRONMENT_NOT_ALLOWED = (
    "🚫 Pull requests cannot deploy to `{environment}`. The environments they can "
    "deploy to are listed under `pull_requests.environments` in "
    "`.github/cite.yml`: {allowed}."
)
OTHER_PREVIEW = "🚫 `{environment}` is another pull request's preview environment."
LOCKED = (
    "🔒 `{environment}` is locked by #{holder} (@{user}): {reason}. "
    "It is free again after `/unlock` there or when #{holder} closes."
)
BUILD_FAILED = (
    "❌ The build of {sha} failed ({context}: {reason}), so nothing was deployed. "
    "Push a fix, then `/deploy` again."
)
HEAD_CHANGED = (
    "🚫 The fork received a push after this comment was written, so its head "
    "may not be the code you read. Check the changes and `/deploy` again."
)
NOT_BUILT = (
    "🚫 {sha} has no build and none is running, for example because it was "
    "pushed with `[skip ci]`. Push a commit that Cite builds, then `/deploy` again."
)
DEPLOYING = "⏳ Deploying {sha} to `{environment}` (deployment #{deployment})"
WAITING_FOR_BUILD = (
    "⏳ {sha} is still building ({context}); it deploys to `{environment}` when the "
    "build succeeds (deployment #{deployment})"
)
NOTHING_TO_ROLL_BACK = (
    "🚫 `{environment}` has no earlier release to roll back to{detail}."
)
ROLLING_BACK = "⏪ Rolling `{environment}` back to {sha} (deployment #{deployment})"
NOT_LIVE = "🚫 `{environment}` has no live release to scale; `/deploy` first."
SCALE_REJECTED = "🚫 Not scaled: {reason}"
SCALING = "📏 Scaling `{environment}` ({change}) (deployment #{deployment})"
LOCK_TAKEN = "🔒 `{environment}` is locked for #{number}: {reason}"
LOCK_NEEDS_ENVIRONMENT = "❓ Name the environment to lock: `/lock staging [reason]`."
UNLOCK_NEEDS_ENVIRONMENT = "❓ Name the environment to unlock: `/unlock staging`."
UNLOCKED = "🔓 `{environment}` is unlocked."
NOT_LOCKED = "🔓 `{environment}` was not locked by this pull request."
STATUS_EMPTY = "This pull request has no environments yet; `/deploy` creates one."
TOO_MANY = "✂️ Only the first {count} commands of a comment run; comment again for more."
COMMAND_FAILED = "❌ `{line}` failed: {reason}. Try again in a moment."


def marker(comment_id: int) -> str:
    """Return the hidden marker of the reply to a command comment."""
    return REPLY_MARKER.format(comment_id=comment_id)
