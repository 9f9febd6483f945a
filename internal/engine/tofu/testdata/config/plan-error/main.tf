variable "cores" {
  type    = number
  default = 0
}

resource "terraform_data" "vm" {
  input = var.cores

  lifecycle {
    precondition {
      condition     = var.cores > 0
      error_message = "cores must be positive"
    }
  }
}
