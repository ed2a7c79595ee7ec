import os

from hypothesis import HealthCheck, settings

# CI runs a bounded number of examples; DIFFERENTIAL_EXAMPLES raises it for long runs.
settings.register_profile(
    "default",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
