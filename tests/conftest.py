import os

from hypothesis import HealthCheck, settings

# CI is deterministic: every property test draws the same examples on every run, with no
# example database to carry failures from one run to the next. The long runs
# (scripts/long_differential.sh) load the "fresh" profile and pass a new seed per chunk,
# to find what the fixed examples do not; a failure there prints its blob to reproduce it.
settings.register_profile(
    "default",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
    derandomize=True,
    database=None,
)
settings.register_profile("fresh", settings.get_profile("default"), derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
