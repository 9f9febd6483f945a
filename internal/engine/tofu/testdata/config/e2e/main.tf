# Builtin terraform_data resources only: no provider to download.
resource "terraform_data" "web" {
  count = 2
  input = "web-${count.index}"
}

resource "terraform_data" "db" {
  input = { name = "db", cores = 2 }
}

output "db" {
  value = terraform_data.db.output.name
}
