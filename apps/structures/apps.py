from django.apps import AppConfig


class StructuresConfig(AppConfig):
    name = "apps.structures"
    label = "structures"
    verbose_name = "Structures"

    def ready(self) -> None:
        from apps.core.admin_scope import structure_resolver_set

        from .selectors import structure_ids_administered

        structure_resolver_set(lambda user: structure_ids_administered(user=user))
