"""Registration: courses, trainees and completions, validated whole and written in bulk."""
