"""nbgrader configuration for the nngrade course (the repository root is the course root)."""

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.source_directory = "exercises"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"

c.ClearSolutions.code_stub = {
    "python": "# Write your implementation here, in place of the line below.\nraise NotImplementedError()"
}
c.ClearSolutions.text_stub = "Write your answer here."

# Each autograder cell imports torch and runs a few hundred checks: seconds, not minutes. The limit
# only stops a submission that hangs. nbgrader's Execute preprocessor reads Execute.timeout.
c.Execute.timeout = 120
