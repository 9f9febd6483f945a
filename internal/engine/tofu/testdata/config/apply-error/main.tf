resource "terraform_data" "good" {
  input = "good"
}

# Fails at apply: its value is unknown while planning.
resource "terraform_data" "bad" {
  input = terraform_data.good.id

  lifecycle {
    postcondition {
      condition     = self.output == "never"
      error_message = "the output is never right"
    }
  }
}

resource "terraform_data" "broken" {
  input = "broken"

  provisioner "local-exec" {
    command = "echo about to fail; exit 3"
  }
}
