# Builtin terraform_data resources only: no provider to download.
resource "terraform_data" "web" {
  count = 2
  input = "web-${count.index}"
}

resource "terraform_data" "db" {
  input = { name = "db", cores = 2 }
}

resource "terraform_data" "app" {
  input            = "app"
  triggers_replace = [terraform_data.db.input]

  # Slow on purpose: tofu reports apply_progress every 10 s.
  provisioner "local-exec" {
    command = "sleep 11; echo provisioned"
  }
}

check "web_count" {
  assert {
    condition     = length(terraform_data.web) == 3
    error_message = "expected three web servers"
  }
}

output "web_ids" {
  value = terraform_data.web[*].id
}
