import { ActionIcon, Box, Group, Stack, Switch, Text, TextInput, Tooltip, UnstyledButton } from '@mantine/core'
import { IconArrowRight, IconChevronDown, IconChevronRight } from '@tabler/icons-react'
import { useMemo, useState } from 'react'
import type { SampleNode } from '../../../../shared/api/mappings'

/**
 * The loaded sample as a tree of source paths: HL7 segments and named fields, JSON keys, CSV
 * headers. With `onPick`, every path can be taken as the selected row's source in one click.
 */
export function SourceTree({ nodes, onPick, pickFor, highlight }: { nodes: SampleNode[]; onPick?: (path: string) => void; pickFor?: string; highlight?: Set<string> }) {
  const [hideEmpty, setHideEmpty] = useState(true)
  const [filter, setFilter] = useState('')
  const visible = useMemo(() => prune(nodes, hideEmpty, filter.trim().toLowerCase()), [nodes, hideEmpty, filter])
  return (
    <Stack gap="xs">
      <Group gap="xs" wrap="nowrap">
        <TextInput size="xs" placeholder="Filter (path, name or value)" value={filter} onChange={(e) => setFilter(e.currentTarget.value)} style={{ flex: 1 }} aria-label="Filter source tree" />
        <Switch size="xs" label="Hide empty" checked={hideEmpty} onChange={(e) => setHideEmpty(e.currentTarget.checked)} />
      </Group>
      <Box role="tree" aria-label="Sample source tree" data-testid="source-tree" style={{ overflow: 'auto', maxHeight: 'calc(100vh - 330px)' }}>
        {visible.map((n, i) => (
          <TreeNode key={`${n.label}-${i}`} node={n} depth={0} onPick={onPick} pickFor={pickFor} highlight={highlight} forceOpen={filter.trim() !== ''} />
        ))}
        {visible.length === 0 ? (
          <Text size="sm" c="dimmed">
            Nothing to show.
          </Text>
        ) : null}
      </Box>
    </Stack>
  )
}

function matches(n: SampleNode, f: string): boolean {
  return (n.path ?? '').toLowerCase().includes(f) || n.label.toLowerCase().includes(f) || (n.name ?? '').toLowerCase().includes(f) || (!n.masked && (n.value ?? '').toLowerCase().includes(f))
}

function prune(nodes: SampleNode[], hideEmpty: boolean, f: string): SampleNode[] {
  const out: SampleNode[] = []
  for (const n of nodes) {
    const children = n.children ? prune(n.children, hideEmpty, f) : undefined
    const emptyLeaf = !n.children && (n.value === null || n.value === undefined || n.value === '')
    if (hideEmpty && emptyLeaf) continue
    if (hideEmpty && n.children && children?.length === 0 && (n.value === null || n.value === undefined)) continue
    if (f && !matches(n, f) && !(children && children.length)) continue
    out.push(children ? { ...n, children } : n)
  }
  return out
}

function TreeNode({
  node,
  depth,
  onPick,
  pickFor,
  highlight,
  forceOpen,
}: {
  node: SampleNode
  depth: number
  onPick?: (path: string) => void
  pickFor?: string
  highlight?: Set<string>
  forceOpen: boolean
}) {
  const [open, setOpen] = useState(depth === 0 && (node.children?.length ?? 0) < 60)
  const hasChildren = (node.children?.length ?? 0) > 0
  const expanded = hasChildren && (open || forceOpen)
  const used = node.path !== null && highlight?.has(node.path)
  return (
    <div role="treeitem" aria-expanded={hasChildren ? expanded : undefined} aria-label={node.path ?? node.label} data-path={node.path ?? undefined}>
      <Group gap={4} wrap="nowrap" pl={depth * 14} py={1} style={{ borderRadius: 4, background: used ? 'var(--mantine-color-blue-light)' : undefined }}>
        {hasChildren ? (
          <UnstyledButton onClick={() => setOpen(!expanded)} aria-label={expanded ? `Collapse ${node.label}` : `Expand ${node.label}`} style={{ display: 'flex' }}>
            {expanded ? <IconChevronDown size={14} /> : <IconChevronRight size={14} />}
          </UnstyledButton>
        ) : (
          <Box w={14} />
        )}
        <Text size="xs" ff="monospace" fw={depth === 0 ? 600 : 400} style={{ whiteSpace: 'nowrap' }}>
          {node.label}
        </Text>
        {node.name ? (
          <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
            {node.name}
          </Text>
        ) : null}
        {node.value !== undefined && node.value !== null ? (
          <Text size="xs" ff="monospace" c={node.masked ? 'dimmed' : 'blue'} truncate="end" style={{ minWidth: 0, flex: 1 }} title={node.masked ? 'masked: reveal the sample to see it' : node.value}>
            {node.value}
          </Text>
        ) : (
          <Box style={{ flex: 1 }} />
        )}
        {onPick && node.path ? (
          <Tooltip label={pickFor ? `Use ${node.path} as the source of ${pickFor}` : `Use ${node.path}`} withArrow openDelay={300}>
            <ActionIcon size="xs" variant="subtle" onClick={() => onPick(node.path!)} aria-label={`Use ${node.path}`}>
              <IconArrowRight size={12} />
            </ActionIcon>
          </Tooltip>
        ) : null}
      </Group>
      {expanded
        ? node.children!.map((c, i) => <TreeNode key={`${c.label}-${i}`} node={c} depth={depth + 1} onPick={onPick} pickFor={pickFor} highlight={highlight} forceOpen={forceOpen} />)
        : null}
    </div>
  )
}
